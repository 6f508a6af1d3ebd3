// Command warrantydesk is a warranty and support ticket desk: staff mail the
// helpdesk, agents triage in the web UI, hardware faults on devices under
// warranty go to the reseller and its replies thread back.
//
// Run `warrantydesk -h` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"warrantydesk/app"
	"warrantydesk/desk"
	"warrantydesk/templates"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one entry of the command table.
type command struct {
	name    string // "user add"
	args    string // positional arguments for the usage line
	summary string
	run     func(ctx context.Context, env *cmdEnv, args []string) error
	flags   func(fs *flag.FlagSet)
}

// cmdEnv is what every command gets: its parsed flags, the config path and the terminal.
type cmdEnv struct {
	fs         *flag.FlagSet
	configPath string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
}

// usageError makes the command print its usage and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(argv) == 0 || argv[0] == "-h" || argv[0] == "--help" || argv[0] == "help" {
		printUsage(stdout, cmds)
		if len(argv) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := findCommand(cmds, argv)
	if cmd == nil {
		fmt.Fprintf(stderr, "warrantydesk: unknown command %q (see warrantydesk -h)\n", strings.Join(argv[:min(2, len(argv))], " "))
		return 2
	}
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("warrantydesk "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&env.configPath, "config", "", "config file (default "+app.DefaultConfigFile+" if present, else built-in defaults)")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: warrantydesk %s [flags] %s\n\n%s\n\nflags:\n", cmd.name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	env.fs = fs
	args, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // the flag package has printed the problem and the usage
	}
	if err := cmd.run(ctx, env, args); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "warrantydesk %s: %s\n", cmd.name, ue.msg)
			fs.Usage()
			return 2
		}
		fmt.Fprintf(stderr, "warrantydesk %s: %s\n", cmd.name, oneLine(explain(err)))
		return 1
	}
	return 0
}

// findCommand matches the longest command name at the start of argv.
func findCommand(cmds []command, argv []string) (*command, []string) {
	var best *command
	bestLen := 0
	for i := range cmds {
		words := strings.Fields(cmds[i].name)
		if len(words) <= len(argv) && len(words) > bestLen && strings.Join(argv[:len(words)], " ") == cmds[i].name {
			best, bestLen = &cmds[i], len(words)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, argv[bestLen:]
}

// parseInterspersed parses flags that come before, between or after the
// positional arguments ("assets import fleet.csv -config prod.toml").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func printUsage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "warrantydesk — warranty and support ticket desk")
	fmt.Fprintln(w, "\nusage: warrantydesk COMMAND [flags] [args]\n\ncommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes -config FILE and -h. Run `warrantydesk demo` to try it with no setup.")
}

// oneLine joins a multi-line error (e.g. several config problems) into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// explain turns the desk's validation errors, which carry catalog keys for the
// web UI, into English sentences naming the field.
func explain(err error) error {
	var verr *desk.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	cat, cerr := templates.LoadCatalog()
	if cerr != nil {
		return err
	}
	fields := make([]string, 0, len(verr.Fields))
	for field := range verr.Fields {
		fields = append(fields, field)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, field := range fields {
		parts[i] = field + ": " + cat.T("en", verr.Fields[field])
	}
	return errors.New(strings.Join(parts, "; "))
}
