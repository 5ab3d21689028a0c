package pbxsim

import (
	"log/slog"
	"time"
)

// Options configure a simulated PBX. The zero value is the recorded PBX of
// test/asterisk/etc (the lab the transcripts were recorded on) with
// Asterisk's own timings.
type Options struct {
	// Addr is the TCP address to listen on; default "127.0.0.1:0".
	Addr string
	// Username and Secret of the one AMI user; default "coocenter" /
	// "coocenter-secret", as in manager.conf.
	Username, Secret string
	// Registered lists peers (SIP "800"–"809") and endpoints (PJSIP
	// "900"–"909") that are registered when the simulator starts.
	Registered []string
	// AutoAnswer makes every registered phone answer a call after this
	// delay; 0 means phones ring until the test answers or hangs up (see
	// Server.Answer). SetAutoAnswer overrides it per phone.
	AutoAnswer time.Duration
	// NoChanSIP plays an Asterisk 21+ without chan_sip: SIPpeers is an
	// unknown action there, answered with a RequestBadFormat event.
	NoChanSIP bool
	// ArmAgents plays the test dialplan as README tells users to write it
	// for the agent's verbs: phones placing a call run Gosub(coocenter-agent)
	// and Dial rings phones with tTb(coocenter-agent^s^1). Off, internal
	// calls are the plain Dial(TECH/${EXTEN},30) the ami-* transcripts
	// under internal/ami/testdata were recorded with.
	ArmAgents bool
	// Timing holds every delay the simulated PBX uses.
	Timing Timing
	// SessionQueue bounds the messages waiting to be written to one AMI
	// session; a session that lets it fill up is dropped, as Asterisk drops
	// a client that exceeds writetimeout. Default 10000.
	SessionQueue int
	// Logger receives one line per notable event; default discards.
	Logger *slog.Logger
}

// Timing holds the delays of the simulated PBX. A zero field takes the value
// of the recorded Asterisk (see DefaultTiming); tests use FastTiming.
type Timing struct {
	AuthFailDelay time.Duration // before "Authentication failed" (Asterisk: 1 s)
	WriteTimeout  time.Duration // per write to a client (manager.conf writetimeout: 5 s)
	DialTimeout   time.Duration // Dial(SIP/${EXTEN},30): how long a phone rings
	QueueTimeout  time.Duration // queues.conf timeout: how long one member rings
	QueueRetry    time.Duration // queues.conf retry: pause between ring attempts
	// QueueMaxWait is the longest wait of a caller in a queue: the lab
	// dialplan's Queue(${TARGETQ},r,,,20) for inbound calls (a phone
	// dialling 63X directly gets Queue(${EXTEN},r,,,300) on Asterisk,
	// the same wait in pbxsim).
	QueueMaxWait  time.Duration
	IVRWait       time.Duration // Wait(1) between the two IVRStep events
	SurveyWait    time.Duration // Read(...,5) of the shipped survey: how long it waits for a key
	SlowAnswer    time.Duration // slow-<x>@fake-phone rings this long, then answers
	AnswerWait    time.Duration // Answer() of a ringing channel waits this long for media (500 ms)
	FakePhoneHold time.Duration // Wait(600): how long a fake phone stays up
	BusyHold      time.Duration // Busy(10) of busy-<x>@fake-phone: how long it stays, busy, before hanging up
	// CoreRestart is how long "core restart now" keeps the PBX away, from
	// the cut to listening again: the exec and the start of the new
	// process (ami-21: the client was logged in again 3 s after the
	// Command, while the new process was still booting).
	CoreRestart time.Duration
	// Boot is how long a restarted PBX takes from listening again to
	// FullyBooted, loading its modules (ami-21: FullyBooted with Uptime 0,
	// under a second after the process started).
	Boot time.Duration
	// WaitScale multiplies the seconds of an Originate "Application: Wait",
	// so that "Data: 10" lasts 10 s × WaitScale. Default 1.
	WaitScale float64
}

// DefaultTiming is the timing of the recorded Asterisk and its configs.
func DefaultTiming() Timing {
	return Timing{
		AuthFailDelay: time.Second,
		WriteTimeout:  5 * time.Second,
		DialTimeout:   30 * time.Second,
		QueueTimeout:  15 * time.Second,
		QueueRetry:    2 * time.Second,
		QueueMaxWait:  20 * time.Second,
		IVRWait:       time.Second,
		SurveyWait:    5 * time.Second,
		SlowAnswer:    5 * time.Second,
		AnswerWait:    500 * time.Millisecond,
		FakePhoneHold: 600 * time.Second,
		BusyHold:      10 * time.Second,
		CoreRestart:   time.Second,
		Boot:          500 * time.Millisecond,
		WaitScale:     1,
	}
}

// FastTiming keeps the order of everything but shrinks every delay to
// milliseconds, for tests.
func FastTiming() Timing {
	return Timing{
		AuthFailDelay: 10 * time.Millisecond,
		WriteTimeout:  2 * time.Second,
		DialTimeout:   300 * time.Millisecond,
		QueueTimeout:  150 * time.Millisecond,
		QueueRetry:    20 * time.Millisecond,
		QueueMaxWait:  3 * time.Second,
		IVRWait:       10 * time.Millisecond,
		SurveyWait:    3 * time.Second,
		SlowAnswer:    50 * time.Millisecond,
		AnswerWait:    5 * time.Millisecond,
		FakePhoneHold: 6 * time.Second,
		BusyHold:      100 * time.Millisecond,
		CoreRestart:   20 * time.Millisecond,
		Boot:          10 * time.Millisecond,
		WaitScale:     0.01,
	}
}

// withDefaults fills the zero fields of t from DefaultTiming.
func (t Timing) withDefaults() Timing {
	d := DefaultTiming()
	pick := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	pick(&t.AuthFailDelay, d.AuthFailDelay)
	pick(&t.WriteTimeout, d.WriteTimeout)
	pick(&t.DialTimeout, d.DialTimeout)
	pick(&t.QueueTimeout, d.QueueTimeout)
	pick(&t.QueueRetry, d.QueueRetry)
	pick(&t.QueueMaxWait, d.QueueMaxWait)
	pick(&t.IVRWait, d.IVRWait)
	pick(&t.SurveyWait, d.SurveyWait)
	pick(&t.SlowAnswer, d.SlowAnswer)
	pick(&t.AnswerWait, d.AnswerWait)
	pick(&t.FakePhoneHold, d.FakePhoneHold)
	pick(&t.BusyHold, d.BusyHold)
	pick(&t.CoreRestart, d.CoreRestart)
	pick(&t.Boot, d.Boot)
	if t.WaitScale == 0 {
		t.WaitScale = d.WaitScale
	}
	return t
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Username == "" {
		o.Username = "coocenter"
	}
	if o.Secret == "" {
		o.Secret = "coocenter-secret"
	}
	if o.SessionQueue <= 0 {
		o.SessionQueue = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Timing = o.Timing.withDefaults()
	return o
}
