package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"golang.org/x/term"

	"warrantydesk/app"
	"warrantydesk/mailin"
)

// commands is the command table (DESIGN.md "Fixed interfaces").
func commands() []command {
	var listen, email, name, role string
	var once bool
	return []command{
		{name: "demo", summary: "run a complete desk with in-process mail servers, seeded mail and fleet; no config needed",
			flags: func(fs *flag.FlagSet) { fs.StringVar(&listen, "listen", "127.0.0.1:8080", "web address") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return app.RunDemo(ctx, app.DemoOptions{Listen: listen, Out: env.stdout, Logger: newLogger(env.stderr)})
			}},
		{name: "serve", summary: "run the web UI, JSON API, mail intake and outbox until SIGINT/SIGTERM",
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				ln, err := net.Listen("tcp", a.Cfg.Server.Listen)
				if err != nil {
					return fmt.Errorf("listen on %s (server.listen): %w", a.Cfg.Server.Listen, err)
				}
				return a.Serve(ctx, ln)
			}},
		{name: "migrate", summary: "apply database migrations and exit",
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				applied, err := a.Store.AppliedMigrations(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "database schema at version %d (%d migrations applied)\n", applied[len(applied)-1].Version, len(applied))
				return nil
			}},
		{name: "user add", summary: "add an agent; password from WARRANTYDESK_PASSWORD or a prompt",
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&email, "email", "", "email address (login)")
				fs.StringVar(&name, "name", "", "full name")
				fs.StringVar(&role, "role", "agent", "admin or agent")
			},
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if email == "" || name == "" {
					return usageError{"-email and -name are required"}
				}
				password, err := readPassword(env)
				if err != nil {
					return err
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				agent, err := a.Desk.CreateAgent(ctx, email, name, role, password)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "added %s %s <%s>\n", agent.Role, agent.Name, agent.Email)
				return nil
			}},
		{name: "token create", summary: "print a new API token for a user",
			flags: func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "the user's email address") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if email == "" {
					return usageError{"-email is required"}
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				agent, err := a.Store.AgentByEmail(ctx, email)
				if err != nil {
					return fmt.Errorf("user %q: %w", email, err)
				}
				token, err := a.Store.CreateAPIToken(ctx, agent.ID, "cli")
				if err != nil {
					return err
				}
				fmt.Fprintln(env.stdout, token)
				return nil
			}},
		{name: "assets import", args: "FILE.csv", summary: "import or update devices from a delivery list (CSV, upsert by serial)",
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if len(args) != 1 {
					return usageError{"give exactly one CSV file"}
				}
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				sum, err := a.Desk.ImportAssets(ctx, f, func(rows int) { fmt.Fprintf(env.stderr, "… %d rows\n", rows) })
				for _, e := range sum.Errors {
					fmt.Fprintf(env.stderr, "%s: %s\n", args[0], e)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				fmt.Fprintln(env.stdout, sum)
				if sum.Failed > 0 {
					return fmt.Errorf("%d row(s) failed", sum.Failed)
				}
				return nil
			}},
		{name: "mail fetch", summary: "one intake pass over the configured mailbox (with -once), then exit",
			flags: func(fs *flag.FlagSet) { fs.BoolVar(&once, "once", false, "fetch once and exit (required)") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if !once {
					return usageError{"only -once is supported here; `warrantydesk serve` fetches continuously"}
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				fetched, processed, err := a.FetchOnce(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "fetched %d, processed %d\n", fetched, processed)
				return nil
			}},
		{name: "mail parse", args: "FILE.eml", summary: "parse one mail and print what intake sees, as JSON",
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if len(args) != 1 {
					return usageError{"give exactly one mail file"}
				}
				cfg, err := app.LoadConfig(env.configPath, os.Environ())
				if err != nil {
					return err
				}
				p, err := mailin.ParseFile(args[0], app.ClassifyOptions(cfg))
				if err != nil {
					return err
				}
				enc := json.NewEncoder(env.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			}},
		{name: "backup", args: "OUT.db", summary: "write a consistent copy of the database, safe while the desk runs",
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if len(args) != 1 {
					return usageError{"give exactly one output file"}
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				if err := a.Store.Backup(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "backup written to %s\n", args[0])
				return nil
			}},
	}
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// open loads the config and builds the desk.
func open(ctx context.Context, env *cmdEnv) (*app.App, error) {
	cfg, err := app.LoadConfig(env.configPath, os.Environ())
	if err != nil {
		return nil, err
	}
	return app.New(ctx, cfg, newLogger(env.stderr))
}

// readPassword takes WARRANTYDESK_PASSWORD, else asks on the terminal
// (without echo), else reads one line from standard input.
func readPassword(env *cmdEnv) (string, error) {
	if p := os.Getenv("WARRANTYDESK_PASSWORD"); p != "" {
		return p, nil
	}
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	if line = strings.TrimRight(line, "\r\n"); line == "" {
		return "", errors.New("no password: set WARRANTYDESK_PASSWORD or type it at the prompt")
	}
	return line, nil
}
