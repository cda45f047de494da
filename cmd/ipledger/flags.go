package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// helpRequested carries a command's usage to stdout (exit 0).
type helpRequested struct{ usage string }

func (h *helpRequested) Error() string { return "help requested" }

// usageError is a wrong command line: the message and the usage go to stderr (exit 2).
type usageError struct{ cmd, msg, usage string }

func (u *usageError) Error() string { return u.cmd + ": " + u.msg }

// flags is one command's FlagSet and the text above its flag list.
type flags struct {
	*flag.FlagSet
	name, text string
}

// newFlags starts a command's flags. text is its usage: "Usage: ipledger …" and what it does.
func newFlags(name, text string) *flags {
	fs := flag.NewFlagSet("ipledger "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is reported once, by cli.exit, with the usage
	fs.Usage = func() {}
	return &flags{FlagSet: fs, name: "ipledger " + name, text: text}
}

// usage is the text and, when there are flags, their list with defaults.
func (f *flags) usage() string {
	var b strings.Builder
	b.WriteString(f.text)
	if !strings.HasSuffix(f.text, "\n") {
		b.WriteByte('\n')
	}
	// As PrintDefaults, but spelt --name as the usage lines spell them (flag takes both).
	first := true
	f.VisitAll(func(fl *flag.Flag) {
		if first {
			b.WriteString("\nFlags:\n")
			first = false
		}
		name, text := flag.UnquoteUsage(fl)
		fmt.Fprintf(&b, "  --%s %s\n    \t%s", fl.Name, name, text)
		if fl.DefValue != "" && fl.DefValue != "0" {
			fmt.Fprintf(&b, " (default %s)", fl.DefValue)
		}
		b.WriteByte('\n')
	})
	return b.String()
}

// parse reads flags and returns the positional arguments. Flags may come before or after
// them (`import FILE --format csv`); after "--" everything is positional.
func (f *flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, &helpRequested{usage: f.usage()}
		}
		if err != nil {
			return nil, f.fail("%v", err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// fail is a usage error of this command.
func (f *flags) fail(format string, a ...any) error {
	return &usageError{cmd: f.name, msg: fmt.Sprintf(format, a...), usage: f.usage()}
}
