package pbxsim

import (
	"strings"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

// inSurvey places a call through the shipped dialplan into 632, has SIP/804
// answer and hang up, and returns the caller's channel once its survey's
// Read waits for a key.
func inSurvey(t *testing.T, sim *Server, c *testClient) string {
	t.Helper()
	c.action("Action", "Originate", "ActionID", "in", "Channel", "Local/cinq-632-0501234567@from-trunk",
		"Application", "Wait", "Data", "600", "Async", "true")
	c.waitFor("804 ringing", isEvent("Newstate", "SIP/804-"))
	must(t, sim.Answer(channelInfo(sim, "SIP/804-").Name))
	c.waitFor("bridged", isEvent("BridgeEnter", "Local/cinq-632-"))
	must(t, sim.Hangup(channelInfo(sim, "SIP/804-").Name, 16))
	c.waitFor("survey's Read", func(m ami.Message) bool {
		return m.Event() == "Newexten" && m.Get("Application") == "Read"
	})
	for _, ch := range sim.Channels() {
		if strings.HasPrefix(ch.Name, "Local/cinq-632-") && strings.HasSuffix(ch.Name, ";2") {
			return ch.Name
		}
	}
	t.Fatalf("no caller among %v", sim.Channels())
	return ""
}

// TestSurveyKeys: a key 1 to 5 is the survey's score; another key, or '#'
// (Read's terminator, an empty answer), ends the survey without one.
func TestSurveyKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, score string }{{"3", "3"}, {"9", ""}, {"#", ""}} {
		sim := startSim(t, Options{Registered: []string{"804"}})
		c := dialSim(t, sim)
		c.login()
		caller := inSurvey(t, sim, c)
		c.action("Action", "PlayDTMF", "ActionID", "key", "Channel", caller, "Digit", tc.key, "Receive", "yes")
		if m := c.response("key"); m.Response() != "Success" || m.Get("Message") != "DTMF successfully queued" {
			t.Fatalf("PlayDTMF: %v", m)
		}
		end := c.waitFor("caller's Hangup", isEvent("Hangup", caller))
		var scores, keys []string
		for _, m := range c.all() {
			switch {
			case m.Event() == "UserEvent" && m.Get("UserEvent") == "CoocenterSurvey":
				scores = append(scores, m.Get("score"))
			case m.Event() == "DTMFEnd" && m.Get("Channel") == caller:
				keys = append(keys, m.Get("Digit")+" "+m.Get("Direction"))
			case m.Event() == "VarSet" && m.Get("Variable") == "LOCAL(score)":
				if m.Get("Value") != tc.score {
					t.Errorf("key %s: LOCAL(score) %q, want %q", tc.key, m.Get("Value"), tc.score)
				}
			}
		}
		if len(keys) != 1 || keys[0] != tc.key+" Received" {
			t.Errorf("key %s: DTMFEnd %v", tc.key, keys)
		}
		if (tc.score == "") != (len(scores) == 0) || (len(scores) == 1 && scores[0] != tc.score) || len(scores) > 1 {
			t.Errorf("key %s: CoocenterSurvey scores %v, want %q", tc.key, scores, tc.score)
		}
		if end.Get("Context") != "coocenter-inbound" || end.Get("Priority") != "9" {
			t.Errorf("key %s: the caller hung up at %s,%s, not at Hangup() after the survey", tc.key, end.Get("Context"), end.Get("Priority"))
		}
	}
}

// TestPlayDTMF: the refusals of app_senddtmf's PlayDTMF, and a key sent
// to the far end (no Receive), which Asterisk publishes nothing for.
func TestPlayDTMF(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	caller, err := sim.InboundCall("0501234567", "630")
	must(t, err)
	c.waitFor("caller in 630", isEvent("QueueCallerJoin", caller))
	for i, tc := range []struct {
		kv      []string
		message string
	}{
		{[]string{"Channel", "Local/nobody-00000009;2", "Digit", "1"}, "Channel not found"},
		{[]string{"Channel", caller}, "No digit specified"},
		{[]string{"Channel", caller, "Digit", "1", "Duration", "long"}, "Could not convert Duration parameter"},
	} {
		id := "bad" + itoa(i)
		c.action(append([]string{"Action", "PlayDTMF", "ActionID", id}, tc.kv...)...)
		if m := c.response(id); m.Response() != "Error" || m.Get("Message") != tc.message {
			t.Errorf("%v: %v", tc.kv, m)
		}
	}
	c.action("Action", "PlayDTMF", "ActionID", "sent", "Channel", caller, "Digit", "7", "Duration", "120ms")
	c.action("Action", "PlayDTMF", "ActionID", "received", "Channel", caller, "Digit", "8", "Duration", "120ms", "Receive", "true")
	for _, id := range []string{"sent", "received"} {
		if m := c.response(id); m.Response() != "Success" {
			t.Errorf("%s: %v", id, m)
		}
	}
	got := c.waitFor("DTMFEnd", isEvent("DTMFEnd", caller))
	if got.Get("Digit") != "8" || got.Get("DurationMs") != "120" || got.Get("Direction") != "Received" || got.Get("Privilege") != "dtmf,all" {
		t.Errorf("DTMFEnd: %v", got)
	}
	for _, m := range c.all() {
		if strings.HasPrefix(m.Event(), "DTMF") && m.Get("Digit") == "7" {
			t.Errorf("a key sent to the far end published %v", m)
		}
	}
}
