package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/config"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// errUsage is returned for bad flags; the flag package has already said why.
var errUsage = errors.New("bad command line (see -h)")

// run is the whole daemon: parse flags, load the config, run until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coocenterd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", config.DefaultPath, "path of api.conf")
	check := fs.Bool("check", false, "validate the config file and exit (status 0 if valid)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	demo := fs.Bool("demo", false, "run against a built-in simulated PBX (no Asterisk, no config file)")
	listen := fs.String("listen", "", "with -demo: address of the API (default 127.0.0.1:8000)")
	pushTo := fs.String("push", demoPushURL, "with -demo: push events to this URL (\"\" = none)")
	receiverAddr := fs.String("receiver", "", "run a push receiver on this address (e.g. 127.0.0.1:8090) that prints what arrives")
	secret := fs.String("secret", "", "with -receiver: verify signatures with this whsec_ key (several: space-separated)")
	showSecret := fs.Bool("push-secret", false, "print the push signing secrets the config puts in effect, and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *showVersion {
		fmt.Fprintln(stdout, "coocenterd", version)
		return nil
	}
	if *receiverAddr != "" {
		return runReceiver(ctx, *receiverAddr, *secret, stdout, stderr)
	}
	if *demo {
		log := newLogger(stderr, "info")
		log.Info("coocenterd starting in demo mode", "version", version)
		return runDemo(ctx, log, *listen, *pushTo)
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	if *check {
		fmt.Fprintf(stdout, "%s: ok\n", *configPath)
		return nil
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
	log := newLogger(stderr, cfg.General.LogLevel)
	log.Info("coocenterd starting", "version", version, "config", *configPath)
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

// newLogger logs text at level, a name slog knows (config has checked it:
// debug, info, warn or error).
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level // info, if level were not a name
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
