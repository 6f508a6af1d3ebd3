package models

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often, at most, the WAL is copied into the database file while writes
// go on. At intake's pace that is every few tens of MiB, like the writer's autocheckpoint was.
const checkpointEvery = time.Second

// walCheckpointer copies the SQLite WAL into the database file on a reader connection, so that the
// writer — intake's bottleneck — does not: with autocheckpoint the commit that crosses the limit
// copies every page of the WAL, a third of the writer's commit time. A passive checkpoint runs
// beside the writer and its transactions; the writer's own autocheckpoint stays as a backstop
// (writerPragmas) should this one fall behind.
type walCheckpointer struct {
	db   *sql.DB
	log  *slog.Logger
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startWALCheckpointer(db *sql.DB, log *slog.Logger) *walCheckpointer {
	c := &walCheckpointer{db: db, log: log.With("subsystem", "checkpoint"),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// written tells the checkpointer a write transaction committed (non-blocking).
func (c *walCheckpointer) written() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close stops the checkpointer and waits for it.
func (c *walCheckpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

func (c *walCheckpointer) run() {
	defer close(c.done)
	var last time.Time
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		if wait := checkpointEvery - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-c.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		var busy, walFrames, copied int
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
		cancel()
		if err != nil {
			// The writer's autocheckpoint still bounds the WAL.
			c.log.Warn("WAL checkpoint failed", "err", err)
		}
	}
}
