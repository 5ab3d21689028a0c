package pbx

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCommandsRefuseBadValues: a value that could break out of its AMI
// header (CR, LF, a second header) or is no extension, queue or reason at
// all is refused with ErrInvalid naming the parameter, before anything is
// sent — the model has no AMI client, so sending would panic.
func TestCommandsRefuseBadValues(t *testing.T) {
	p := bareModel()
	p.st.peers["SIP/801"] = &Peer{Name: "801", Tech: SIP, Addr: "10.0.0.1", Status: "OK (1 ms)"}
	p.st.queues["630"] = &Queue{Name: "630", Members: []Member{{Queue: "630", Interface: "SIP/801", Name: "801"}}}
	republish(p)
	ctx := context.Background()
	const bad = "802\r\nAction: Originate"
	tooLong := strings.Repeat("8", 33)
	for _, tc := range []struct {
		name, param string
		run         func() error
	}{
		{"click-to-call src", "extension", func() error { _, err := p.ClickToCall(ctx, bad, "802", ""); return err }},
		{"click-to-call dst", "destination", func() error { _, err := p.ClickToCall(ctx, "801", bad, ""); return err }},
		{"hangup", "extension", func() error { return p.Hangup(ctx, bad) }},
		{"hangup too long", "extension", func() error { return p.Hangup(ctx, tooLong) }},
		{"transfer src", "extension", func() error { return p.Transfer(ctx, bad, "802", "") }},
		{"transfer dst", "destination", func() error { return p.Transfer(ctx, "801", bad, "") }},
		{"spy src", "extension", func() error { _, err := p.Spy(ctx, bad, "801", Listen); return err }},
		{"spy dst", "extension", func() error { _, err := p.Spy(ctx, "801", bad, Listen); return err }},
		{"spy mode", "spy mode", func() error { _, err := p.Spy(ctx, "801", "801", "shout"); return err }},
		{"pause queue", "queue name", func() error { return p.PauseMember(ctx, "630\r\n", "801", true, "") }},
		{"pause member", "extension", func() error { return p.PauseMember(ctx, "630", bad, true, "") }},
		{"pause reason", "pause reason", func() error { return p.PauseMember(ctx, "630", "801", true, "lunch\r\nAction: Hangup") }},
		{"login queue", "queue name", func() error { return p.AddMember(ctx, "6 30", "801") }},
		{"login extension", "extension", func() error { return p.AddMember(ctx, "630", bad) }},
		{"logout queue", "queue name", func() error { return p.RemoveMember(ctx, "630:", "801") }},
		{"logout extension", "extension", func() error { return p.RemoveMember(ctx, "630", bad) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.param) {
				t.Errorf("got %v, want ErrInvalid naming the %s", err, tc.param)
			}
		})
	}
}
