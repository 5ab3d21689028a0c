package sipphone

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestAsterisk drives phones on the test PBX of test/asterisk: chan_sip
// peers 801 and 802 on 127.0.0.1:5060 (PJSIP endpoints on :5160 where
// Asterisk has no chan_sip), pjsip endpoint 904 on :5160, all in context
// internal. It runs when the suite has a real Asterisk
// (COOCENTER_TEST_AMI, see internal/testbed) or with COOCENTER_TEST_SIP=1;
// COOCENTER_TEST_SIP_TRACE=1 logs every SIP message.
func TestAsterisk(t *testing.T) {
	if os.Getenv("COOCENTER_TEST_AMI") == "" && os.Getenv("COOCENTER_TEST_SIP") != "1" {
		t.Skip("runs against test/asterisk/start: set COOCENTER_TEST_AMI (or COOCENTER_TEST_SIP=1)")
	}
	noLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phones8 := phones8Addr(t)
	p801 := registerOn(ctx, t, "801", phones8, "127.0.0.1:5071")
	p802 := registerOn(ctx, t, "802", phones8, "127.0.0.1:5072")
	p904 := registerOn(ctx, t, "904", "127.0.0.1:5160", "127.0.0.1:5174")

	t.Run("answer, hold, unhold, caller hangs up", func(t *testing.T) {
		out, in := connect(ctx, t, p801, p802, "802")
		must(t, in.Hold())
		must(t, in.Unhold())
		must(t, out.Hangup())
		waitEnded(t, in)
	})
	t.Run("caller cancels a ringing call", func(t *testing.T) {
		out := mustDial(ctx, t, p801, "802")
		in := mustRing(ctx, t, p802)
		must(t, out.Hangup())
		waitEnded(t, in)
		waitEnded(t, out)
	})
	t.Run("callee busy", func(t *testing.T) {
		out := mustDial(ctx, t, p801, "802")
		must(t, mustRing(ctx, t, p802).Hangup())
		waitEnded(t, out)
	})
	t.Run("chan_sip and pjsip both ways", func(t *testing.T) {
		out, in := connect(ctx, t, p904, p801, "801")
		must(t, out.Hold())
		must(t, out.Unhold())
		must(t, in.Hangup())
		waitEnded(t, out)

		out, in = connect(ctx, t, p801, p904, "904")
		must(t, in.Hold())
		must(t, in.Unhold())
		must(t, in.Hangup())
		waitEnded(t, out)
	})
	t.Run("blind transfer by chan_sip phone", func(t *testing.T) {
		out, in := connect(ctx, t, p801, p802, "802")
		must(t, in.BlindTransfer("904"))
		waitEnded(t, in)
		target := mustRing(ctx, t, p904)
		must(t, target.Answer())
		if s := out.State(); s != Confirmed {
			t.Fatalf("transferred caller: %v", s)
		}
		must(t, out.Hangup())
		waitEnded(t, target)
	})
	t.Run("blind transfer by pjsip phone", func(t *testing.T) {
		out, in := connect(ctx, t, p801, p904, "904")
		must(t, in.BlindTransfer("802"))
		waitEnded(t, in)
		target := mustRing(ctx, t, p802)
		must(t, target.Answer())
		if s := out.State(); s != Confirmed {
			t.Fatalf("transferred caller: %v", s)
		}
		must(t, target.Hangup())
		waitEnded(t, out)
	})
	t.Run("auto answer", func(t *testing.T) {
		p802.SetAutoAnswer(200 * time.Millisecond)
		defer p802.SetAutoAnswer(0)
		out := mustDial(ctx, t, p801, "802")
		waitState(t, out, Confirmed)
		must(t, p802.Active().Hangup())
		waitEnded(t, out)
	})
}

// phones8Addr is where the test PBX's phones 800–809 register: chan_sip on
// 127.0.0.1:5060 or, on an Asterisk without chan_sip (21 and later, see
// test/asterisk/start), PJSIP on :5160. Nothing listening on :5060 is
// told by loopback at once (ICMP port unreachable: ECONNREFUSED).
func phones8Addr(t *testing.T) string {
	t.Helper()
	c, err := net.Dial("udp", "127.0.0.1:5060")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = c.Write([]byte("\r\n\r\n")) // a keep-alive: nothing a PBX answers
	if err == nil {
		_, err = c.Read(make([]byte, 1500))
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "127.0.0.1:5160"
	}
	return "127.0.0.1:5060"
}

func registerOn(ctx context.Context, t *testing.T, ext, pbx, local string) *Phone {
	t.Helper()
	cfg := Config{Ext: ext, Password: ext, PBX: pbx, Local: local}
	if os.Getenv("COOCENTER_TEST_SIP_TRACE") == "1" {
		cfg.Logf = t.Logf
	}
	p, err := Register(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { must(t, p.Close()) })
	return p
}

// connect has from dial number, which rings on to and is answered; it
// returns both ends once both are confirmed.
func connect(ctx context.Context, t *testing.T, from, to *Phone, number string) (out, in *Call) {
	t.Helper()
	out = mustDial(ctx, t, from, number)
	in = mustRing(ctx, t, to)
	must(t, in.Answer())
	waitState(t, out, Confirmed)
	return out, in
}

func mustDial(ctx context.Context, t *testing.T, p *Phone, number string) *Call {
	t.Helper()
	c, err := p.Dial(ctx, number)
	must(t, err)
	return c
}

func mustRing(ctx context.Context, t *testing.T, p *Phone) *Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := p.Ringing(ctx)
	must(t, err)
	return c
}

func waitState(t *testing.T, c *Call, s CallState) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.p.await(ctx, func() bool { return c.state == s }); err != nil {
		t.Fatalf("call is %v, want %v: %v", c.State(), s, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
