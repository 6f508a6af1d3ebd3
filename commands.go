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
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"warrantydesk/app"
	"warrantydesk/desk"
	"warrantydesk/mailin"
	"warrantydesk/models"
)

// commands is the command table (DESIGN.md "Fixed interfaces").
func commands() []command {
	var listen, email, name, role, vendor string
	var once, yes bool
	var months int
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
				app.TuneGC(a.Cfg.Server, os.Environ(), a.Log)
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
		{name: "user add", summary: "add a user (agent, admin, or a reseller's vendor user); password from WARRANTYDESK_PASSWORD or a prompt",
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&email, "email", "", "email address (login)")
				fs.StringVar(&name, "name", "", "full name")
				fs.StringVar(&role, "role", "agent", "admin, agent or vendor")
				fs.StringVar(&vendor, "vendor", "", "the reseller a vendor user works for (role vendor only), e.g. \"Refurbo AB\"")
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
				agent, err := a.Desk.CreateUser(ctx, email, name, role, vendor, password)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "added %s %s <%s>\n", agent.Role, agent.Name, agent.Email)
				return nil
			}},
		{name: "token create", summary: "print a new API token for a user",
			flags: func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "the user's email address") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				return withAgent(ctx, env, args, email, func(a *app.App, agent *models.Agent) error {
					token, err := a.Store.CreateAPIToken(ctx, agent.ID, "cli")
					if err != nil {
						return err
					}
					fmt.Fprintln(env.stdout, token)
					return nil
				})
			}},
		{name: "token list", summary: "list a user's API tokens (id, label, created, last used, revoked; never the token)",
			flags: func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "the user's email address") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				return withAgent(ctx, env, args, email, func(a *app.App, agent *models.Agent) error {
					tokens, err := a.Store.APITokensOf(ctx, agent.ID)
					if err != nil {
						return err
					}
					return printTokens(env.stdout, tokens)
				})
			}},
		{name: "token revoke", summary: "revoke every API token of a user",
			flags: func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "the user's email address") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				return withAgent(ctx, env, args, email, func(a *app.App, agent *models.Agent) error {
					n, err := a.Store.RevokeAPITokens(ctx, agent.ID, time.Now())
					if err != nil {
						return err
					}
					fmt.Fprintf(env.stdout, "revoked %d token(s) of %s\n", n, agent.Email)
					return nil
				})
			}},
		{name: "requester export", summary: "print everything the desk holds about a requester, as JSON (GDPR access)",
			flags: func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "the requester's email address") },
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := requireEmail(args, email); err != nil {
					return err
				}
				return withApp(ctx, env, func(a *app.App) error {
					export, err := a.Desk.ExportRequester(ctx, email)
					if err != nil {
						return err
					}
					enc := json.NewEncoder(env.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(export)
				})
			}},
		{name: "requester erase", summary: "erase a requester's personal data, keeping tickets as statistics (GDPR erasure)",
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&email, "email", "", "the requester's email address")
				fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
			},
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := requireEmail(args, email); err != nil {
					return err
				}
				if !yes {
					fmt.Fprintf(env.stderr, "Erase every message, attachment and mail of %s? This cannot be undone.\nType the address again to confirm: ", email)
					line, err := bufio.NewReader(env.stdin).ReadString('\n')
					if err != nil && !errors.Is(err, io.EOF) {
						return fmt.Errorf("read confirmation: %w", err)
					}
					if !strings.EqualFold(strings.TrimSpace(line), strings.TrimSpace(email)) {
						return errors.New("not confirmed: nothing erased (use -yes to skip the question)")
					}
				}
				return withApp(ctx, env, func(a *app.App) error {
					res, err := a.Desk.EraseRequester(ctx, "cli", email)
					if err != nil {
						return err
					}
					c := res.Counts
					fmt.Fprintf(env.stdout, "erased %s (now %s): %d tickets, %d messages, %d attachments, %d intake records, %d outgoing mails\n",
						res.Email, res.Pseudonym, c.Tickets, c.Messages, c.Attachments, c.IntakeRecords, c.OutboxMails)
					return nil
				})
			}},
		{name: "retention run", summary: "erase the personal data of tickets closed more than -months months ago",
			flags: func(fs *flag.FlagSet) {
				fs.IntVar(&months, "months", 0, "retention period in months (required, > 0)")
			},
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				if months <= 0 {
					return usageError{"-months must be a positive number of months"}
				}
				a, err := open(ctx, env)
				if err != nil {
					return err
				}
				defer a.Close()
				res, err := a.Desk.ApplyRetention(ctx, time.Now(), months)
				if err != nil {
					return err
				}
				c := res.Counts
				fmt.Fprintf(env.stdout, "retention %d months: erased %d tickets, %d messages, %d attachments, %d intake records, %d outgoing mails; %d requesters pseudonymised\n",
					months, c.Tickets, c.Messages, c.Attachments, c.IntakeRecords, c.OutboxMails, res.Requesters)
				return nil
			}},
		{name: "search optimize", summary: "merge the search index into one piece now (serve does it each night at desk.search_optimize_hour)",
			run: func(ctx context.Context, env *cmdEnv, args []string) error {
				if err := noArgs(args); err != nil {
					return err
				}
				return withApp(ctx, env, func(a *app.App) error {
					before, err := a.Store.SearchSegments(ctx)
					if err != nil {
						return err
					}
					start := time.Now()
					if err := a.Store.OptimizeSearch(ctx); err != nil {
						return err
					}
					after, err := a.Store.SearchSegments(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.stdout, "search index merged from %d pieces into %d in %s\n", before, after, time.Since(start).Round(time.Millisecond))
					return nil
				})
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
				if len(sum.Ignored) > 0 {
					fmt.Fprintf(env.stderr, "%s: ignoring unknown column(s) %s (known: %s)\n",
						args[0], strings.Join(sum.Ignored, ", "), strings.Join(desk.AssetColumns(), ", "))
				}
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
				app.TuneGC(a.Cfg.Server, os.Environ(), a.Log) // the intake runs as under serve
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
		{name: "backup", args: "OUT.db", summary: "write a consistent copy of the SQLite database, safe while the desk runs (PostgreSQL: use pg_dump)",
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

// withAgent opens the desk and runs fn with the agent whose address is email.
func withAgent(ctx context.Context, env *cmdEnv, args []string, email string, fn func(*app.App, *models.Agent) error) error {
	if err := requireEmail(args, email); err != nil {
		return err
	}
	return withApp(ctx, env, func(a *app.App) error {
		agent, err := a.Store.AgentByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("user %q: %w", email, err)
		}
		return fn(a, agent)
	})
}

// requireEmail checks the shape shared by the -email commands: no positional
// arguments and a non-empty -email.
func requireEmail(args []string, email string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if email == "" {
		return usageError{"-email is required"}
	}
	return nil
}

// withApp runs fn with the desk built from the command's config, and closes it.
func withApp(ctx context.Context, env *cmdEnv, fn func(*app.App) error) error {
	a, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// printTokens writes one line per token: never the token itself (only its
// hash is stored), but enough to tell them apart.
func printTokens(w io.Writer, tokens []models.APIToken) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tCREATED\tLAST USED\tREVOKED")
	stamp := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, t := range tokens {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Label, t.CreatedAt.UTC().Format(time.RFC3339), stamp(t.LastUsedAt), stamp(t.RevokedAt))
	}
	return tw.Flush()
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
