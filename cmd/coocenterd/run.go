package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"syscall"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/config"
)

// errUsage is returned for bad flags; the flag package has already said why.
var errUsage = errors.New("bad command line (see -h)")

// run is the whole daemon: parse flags, load the config, run until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runOn(ctx, os.DirFS("/"), args, stdout, stderr)
}

// runOn is run reading Asterisk's manager.conf from root, which tests
// point at a fixture so that none reads the machine's /etc/asterisk.
func runOn(ctx context.Context, root fs.FS, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("coocenterd", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", config.DefaultPath, "path of api.conf")
	check := flags.Bool("check", false, "validate the config file (and the AMI login it leads to) and exit (status 0 if valid)")
	strict := flags.Bool("strict", false, "treat unknown keys and sections of the config file as errors")
	showVersion := flags.Bool("version", false, "print the version and exit")
	demo := flags.Bool("demo", false, "run against a built-in simulated PBX (no Asterisk, no config file)")
	listen := flags.String("listen", "", "with -demo: address of the API (default 127.0.0.1:8000)")
	pushTo := flags.String("push", demoPushURL, "with -demo: push events to this URL (\"\" = none)")
	receiverAddr := flags.String("receiver", "", "run a push receiver on this address (e.g. 127.0.0.1:8090) that prints what arrives")
	secret := flags.String("secret", "", "with -receiver: verify signatures with this whsec_ key (several: space-separated)")
	showSecret := flags.Bool("push-secret", false, "print the push signing secrets the config puts in effect, and exit")
	flags.Usage = func() {} // a bad flag: its error line, then errUsage
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // asked for: to stdout, status 0
			fmt.Fprint(stdout, synopsis)
			flags.SetOutput(stdout)
			flags.PrintDefaults()
			return nil
		}
		return errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", flags.Arg(0))
		return errUsage
	}
	if *showVersion {
		fmt.Fprintln(stdout, versionLine())
		return nil
	}
	if *receiverAddr != "" {
		return runReceiver(ctx, *receiverAddr, *secret, stdout, stderr)
	}
	if *demo {
		log := newLogger(stderr, "info", "text", stderr == os.Stderr && underJournal())
		log.Info("coocenterd starting in demo mode", "version", version)
		return runDemo(ctx, log, *listen, *pushTo)
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	if *strict && len(cfg.Warnings) > 0 {
		return cfg.Warnings[0].Err()
	}
	if *check {
		return checkConfig(cfg, root, stdout)
	}
	if *showSecret {
		secrets := pushSecrets(cfg)
		if len(secrets) == 0 {
			return errors.New("pushes are not signed: set WEBKEY or [push] secrets")
		}
		for _, s := range secrets {
			fmt.Fprintln(stdout, s)
		}
		return nil
	}
	log := newLogger(stderr, cfg.General.LogLevel, cfg.General.LogFormat, stderr == os.Stderr && underJournal())
	log.Info("coocenterd starting", "version", version, "config", *configPath)
	return start(ctx, cfg, root, log)
}

// checkConfig is -check: the warnings, one line each, then the AMI login
// (from manager.conf when [ami] has none) or its error, then "<path>: ok".
func checkConfig(cfg *config.Config, root fs.FS, stdout io.Writer) error {
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stdout, w)
	}
	if err := checkBindAddr(cfg); err != nil {
		return err
	}
	acct, err := cfg.CompleteAMI(root)
	if err != nil {
		return err
	}
	if acct != nil {
		fmt.Fprintf(stdout, "%s: AMI user %s from %s, at %s\n", cfg.Path, acct.Name, acct.File, cfg.AMIAddr())
	}
	fmt.Fprintf(stdout, "%s: ok\n", cfg.Path)
	return nil
}

// checkBindAddr fails as start would when BINDADDR does not resolve or is
// no address of this host. It listens on port 0 of it, so a daemon that
// already serves BINDPORT does not make -check fail.
func checkBindAddr(cfg *config.Config) error {
	host := cfg.General.BindAddr
	if host == "" {
		return nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		why := err.Error()
		if dns := (*net.DNSError)(nil); errors.As(err, &dns) {
			why = "it does not resolve (" + dns.Err + ")"
		} else if errors.Is(err, syscall.EADDRNOTAVAIL) {
			why = "it is not an address of this host"
		}
		return fmt.Errorf("%s: [general] BINDADDR: cannot listen on %q: %s", cfg.Path, host, why)
	}
	return ln.Close()
}

// start runs the daemon on a loaded config, as run does after the flags:
// it logs the config's warnings, takes the AMI login from manager.conf
// (in root) when [ami] has none, and serves until ctx ends.
func start(ctx context.Context, cfg *config.Config, root fs.FS, log *slog.Logger) error {
	for _, w := range cfg.Warnings {
		msg := "unknown key in the config file, ignored"
		if w.Key == "" {
			msg = "unknown section in the config file, ignored with its keys"
		}
		log.Warn(msg, "file", w.File, "line", w.Line, "section", w.Section, "key", w.Key, "suggestion", w.Suggestion)
	}
	acct, err := cfg.CompleteAMI(root)
	if err != nil {
		return err
	}
	if acct != nil { // never the secret
		log.Info("AMI login from manager.conf", "user", acct.Name, "file", acct.File, "addr", cfg.AMIAddr())
	}
	return serve(ctx, cfg, log)
}

func amiConfig(cfg *config.Config, log *slog.Logger) ami.Config {
	return ami.Config{
		Addr:          cfg.AMIAddr(),
		Username:      cfg.AMI.Username,
		Secret:        cfg.AMI.Secret,
		AuthType:      cfg.AMI.AuthType,
		Events:        cfg.AMI.Events,
		ActionTimeout: cfg.AMI.ActionTimeout,
		PingInterval:  cfg.AMI.PingInterval,
		MaxBackoff:    cfg.AMI.ReconnectMax,
		Logger:        log,
	}
}
