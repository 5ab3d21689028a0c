package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/pbxsim"
)

// demoPushURL is where the demo pushes unless -push says otherwise: the
// address `coocenterd -receiver 127.0.0.1:8090` listens on.
const demoPushURL = "http://127.0.0.1:8090/"

// demoPhones are registered in the simulated PBX and answer by themselves.
var demoPhones = []string{"801", "802", "803", "804", "805", "900", "901", "904"}

// runDemo runs the daemon against an in-process simulated PBX with a little
// synthetic traffic: no Asterisk, no config file.
func runDemo(ctx context.Context, log *slog.Logger, addr, pushTo string) error {
	timing := pbxsim.DefaultTiming()
	timing.FakePhoneHold = 45 * time.Second
	sim, err := pbxsim.Start(pbxsim.Options{Registered: demoPhones, AutoAnswer: 3 * time.Second, Timing: timing, ArmAgents: true,
		Logger: log.With("component", "pbxsim")})
	if err != nil {
		return err
	}
	defer sim.Close()

	dir, err := os.MkdirTemp("", "coocenterd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	cfg := config.Demo()
	cfg.Storage.Dir = dir
	host, port := splitHostPort(sim.Addr())
	cfg.AMI.Host, cfg.AMI.Port, cfg.AMI.Username, cfg.AMI.Secret = host, port, "coocenter", "coocenter-secret"
	if addr != "" {
		h, p := splitHostPort(addr)
		cfg.General.BindAddr, cfg.General.BindPort = h, p
	}
	if pushTo != "" {
		cfg.General.URLs = []string{pushTo}
		// The receiver answers the screen pops too, as a CRM's page would.
		cfg.General.PopURL = strings.TrimSuffix(pushTo, "/") + "/pop?caller={caller}&queue={queue}&uniqueid={uniqueid}&userData={userData}"
		log.Info("demo mode: pushing events to "+pushTo+"; to see them, run in another terminal:",
			"command", "go run ./cmd/coocenterd -receiver "+strings.TrimPrefix(strings.TrimSuffix(pushTo, "/"), "http://"))
	}
	log.Info("demo mode: simulated PBX with phones 801-805, 900, 901, 904 and queues 630-632; try:")
	base := fmt.Sprintf("http://%s/coocenter-api", cfg.HTTPAddr())
	for _, line := range []string{
		"curl -X POST " + base + "/extensions/current-calls",
		"curl " + base + "/queues/queue-info",
		"curl -X POST " + base + "/extensions/click-number -d 'src=801&dst=802'",
	} {
		log.Info("  " + line)
	}
	page := fmt.Sprintf("http://%s/bar", cfg.HTTPAddr())
	log.Info("demo mode: the call bar of agent 804 (queue 632) and the supervisors' wall, in a browser:",
		"bar", page+"/?extension=804", "wall", page+"/wall?extension=805")
	go demoTraffic(ctx, sim, log)
	return serve(ctx, cfg, log)
}

// demoTraffic places a call every few seconds: inbound calls into the
// queues and internal calls between the phones, each hung up after a while.
func demoTraffic(ctx context.Context, sim *pbxsim.Server, log *slog.Logger) {
	t := time.NewTicker(8 * time.Second)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var ch string
		var err error
		if n%2 == 0 {
			ch, err = sim.InboundCall(fmt.Sprintf("0501%06d", rand.IntN(1000000)), []string{"630", "631", "632"}[n/2%3])
		} else {
			from, to := demoPhones[rand.IntN(5)], demoPhones[rand.IntN(5)]
			if from == to {
				continue
			}
			ch, err = sim.Dial(from, to)
		}
		if err != nil {
			log.Debug("demo call not placed", "err", err)
			continue
		}
		hold := time.Duration(10+rand.IntN(20)) * time.Second
		time.AfterFunc(hold, func() { _ = sim.Hangup(ch, 16) })
	}
}

func splitHostPort(addr string) (string, int) {
	host, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return host, n
}
