package app

import (
	"log/slog"
	"runtime/debug"
	"strings"
)

// DefaultGCPercent is the garbage collector's target (GOGC) serve runs with
// when neither server.gc_percent nor GOGC says otherwise. A page allocates
// a few hundred kilobytes and the live heap is small (tens of megabytes), so
// Go's default of 100 collects several times a second under load and spends
// about a fifth of a page's CPU marking; 400 collects a quarter as often
// for a heap that peaks a few tens of megabytes higher (README, benchmarks).
const DefaultGCPercent = 400

// TuneGC sets the garbage collector's target and soft memory limit from
// the server config: gc_percent (0 = DefaultGCPercent, -1 = off) and
// memory_limit_mb (0 = none). The GOGC and GOMEMLIMIT environment variables,
// when set, win over the config, as they do for any Go program.
func TuneGC(c ServerConfig, environ []string, log *slog.Logger) {
	has := func(name string) bool {
		for _, kv := range environ {
			if k, _, ok := strings.Cut(kv, "="); ok && k == name {
				return true
			}
		}
		return false
	}
	percent := c.GCPercent
	if percent == 0 {
		percent = DefaultGCPercent
	}
	if !has("GOGC") {
		debug.SetGCPercent(percent)
	}
	if c.MemoryLimitMB > 0 && !has("GOMEMLIMIT") {
		debug.SetMemoryLimit(int64(c.MemoryLimitMB) << 20)
	}
	if log != nil {
		// SetMemoryLimit with a negative value only reads the limit.
		log.Info("garbage collector", "gc_percent", percent, "gogc_env", has("GOGC"),
			"memory_limit_mb", debug.SetMemoryLimit(-1)>>20)
	}
}
