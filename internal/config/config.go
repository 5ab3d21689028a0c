package config

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"gopkg.in/ini.v1"
)

// DefaultPath is where the daemon looks for api.conf without -config.
const DefaultPath = "/etc/coocenterd/api.conf"

// DefaultManagerConf is Asterisk's manager.conf, read for the AMI login
// when [ami] gives none.
const DefaultManagerConf = "/etc/asterisk/manager.conf"

// Config is the whole of api.conf, defaults applied and validated.
type Config struct {
	Path      string    // file it was read from; "" for Demo
	Warnings  []Warning // what the file has that coocenterd ignores: unknown sections and keys
	General   General
	Enable    Enable
	AMI       AMI
	PauseTime PauseTime
	Storage   Storage
	Monitor   Monitor
	Blacklist Blacklist
	Push      Push
	Metrics   Metrics
	Stream    Stream
	Bar       Bar
}

// General is the [general] section: the original box's keys and ours.
type General struct {
	BindAddr  string   // BINDADDR; "" = all interfaces, as the original
	BindPort  int      // BINDPORT; 8000
	URLs      []string // URL, comma-separated http(s) push receivers; none = no push
	WebKey    string   // WEBKEY; "" = no authentication
	MAC       string   // mac, as aa:bb:cc:dd:ee:ff; default from the first non-loopback interface
	PopURL    string   // pop_url, screen-pop URL for the agent call bar; "" = none
	LogLevel  string   // log_level: debug, info (default), warn or error
	LogFormat string   // log_format: text (default) or json
}

// Enable is the [enable] section of the original box.
type Enable struct {
	PauseTime bool // pausetime = yes|no: after-call pause; default no
}

// AMI is the [ami] section: how to reach Asterisk's manager interface.
// Without Username or Secret the login comes from Asterisk's manager.conf:
// see CompleteAMI.
type AMI struct {
	Host             string        // 127.0.0.1, or manager.conf's bindaddr (CompleteAMI)
	Port             int           // 5038, or manager.conf's port (CompleteAMI)
	Username         string        // "" = a user of ManagerConf
	Secret           string        // "" = that user's secret in ManagerConf; never logged
	ManagerConf      string        // Asterisk's manager.conf, absolute; /etc/asterisk/manager.conf
	AuthType         string        // "md5" (challenge, default) or "plain"
	OriginateContext string        // dialplan context for originated calls; "internal"
	ChannelTech      string        // "auto" (default), "SIP" or "PJSIP"
	Events           string        // event mask for the Events action, lower case; "on"
	PingInterval     time.Duration // keepalive; 20s
	ActionTimeout    time.Duration // wait for an action's response; 10s
	ReconnectMax     time.Duration // ceiling of the reconnect backoff; 30s

	// hostSet and portSet record that api.conf gave host and port, which
	// manager.conf's [general] then does not override.
	hostSet, portSet bool
}

// PauseTime is the [pausetime] section: the after-call pause of [enable].
type PauseTime struct {
	Seconds int    // pause length, 1..86400; 30
	Reason  string // QueuePause reason; "after-call"
	// After says which calls an agent is paused after: PauseAfterQueue,
	// PauseAfterAnswered (default) or PauseAfterAll. Only agents that are
	// members of a queue are paused, in every queue they are in.
	After string
}

// The values of [pausetime] after.
const (
	// PauseAfterQueue pauses after a queue call the agent answered (coocenterd's
	// behaviour before the key existed).
	PauseAfterQueue = "queue"
	// PauseAfterAnswered pauses after every call that rang the agent's phone
	// and that the agent answered: queue calls, direct calls, calls transferred
	// to the agent. The original box did this.
	PauseAfterAnswered = "answered"
	// PauseAfterAll also pauses after calls the agent placed (from the phone
	// or click-number) once the other side answered.
	PauseAfterAll = "all"
)

// Storage is the [storage] section.
type Storage struct {
	Dir string // absolute directory of coocenterd.db; /var/lib/coocenterd
}

// Monitor is the [monitor] section: the recordings and their download links.
type Monitor struct {
	Dir string // absolute directory of Asterisk's recordings; /var/spool/asterisk/monitor
	// LinkSecret signs recording links; "" = derived from WEBKEY, else a
	// random key per start. Never logged or quoted in an error.
	LinkSecret string
	// LinkBase is this box's http(s) URL as business systems reach it,
	// without a trailing "/"; set, the cdr and cc_cdr pushes carry signed
	// download links instead of file names. "" = pushes carry the names.
	LinkBase string
	LinkTTL  time.Duration // lifetime of the links in pushes, 1m..2160h; 168h
}

// Blacklist is the [blacklist] section.
type Blacklist struct {
	Family string // AstDB family the dialplan checks; "blacklist"
}

// Push is the [push] section: delivery of push events.
type Push struct {
	InFlight    int           // concurrent deliveries, 1..64; 4
	Timeout     time.Duration // one HTTP request; 15s
	MaxAge      time.Duration // give up on an event this old; 72h
	MaxInterval time.Duration // ceiling of the retry backoff, at most MaxAge; 2h
	Secrets     []string      // Standard Webhooks "whsec_<base64>" keys; none = derived from WEBKEY by the pusher
	// LegacyDialBegin names the dialbegin push "dialbegein", as the original
	// box does and its clients match; default yes. No sends "dialbegin".
	LegacyDialBegin bool
}

// Stream is the [stream] section: the window of the live event stream,
// from which a client that reconnects resumes.
type Stream struct {
	Window       time.Duration // how long an event is kept; 1h
	WindowEvents int           // how many events are kept at most; 10000
}

// Bar is the [bar] section: the agents' call bar and the supervisors' wall.
type Bar struct {
	PauseReasons []string      // the reasons the bar offers to pause with; rest, lunch, training, meeting
	SLA          time.Duration // the service-level threshold the wall counts answers within; 20s
}

// Metrics is the [metrics] section: how a Prometheus server, which cannot
// compute the daily WEBKEY token, may scrape /metrics.
type Metrics struct {
	Token string         // a static bearer token; "" = none. Never logged or quoted in an error.
	Allow []netip.Prefix // source networks that scrape without a token; none = none
}

// AMIAddr is the host:port to dial for AMI.
func (c *Config) AMIAddr() string {
	return net.JoinHostPort(c.AMI.Host, strconv.Itoa(c.AMI.Port))
}

// HTTPAddr is the host:port the HTTP API listens on; ":8000" means all interfaces.
func (c *Config) HTTPAddr() string {
	return net.JoinHostPort(c.General.BindAddr, strconv.Itoa(c.General.BindPort))
}

// defaults is a Config with every default except the MAC, which is only
// looked up when the file does not set it.
func defaults() *Config {
	return &Config{
		General: General{BindPort: 8000, LogLevel: "info", LogFormat: "text"},
		AMI: AMI{
			Host:             "127.0.0.1",
			Port:             5038,
			AuthType:         "md5",
			OriginateContext: "internal",
			ChannelTech:      "auto",
			Events:           "on",
			PingInterval:     20 * time.Second,
			ActionTimeout:    10 * time.Second,
			ReconnectMax:     30 * time.Second,
			ManagerConf:      DefaultManagerConf,
		},
		PauseTime: PauseTime{Seconds: 30, Reason: "after-call", After: PauseAfterAnswered},
		Storage:   Storage{Dir: "/var/lib/coocenterd"},
		Monitor:   Monitor{Dir: "/var/spool/asterisk/monitor", LinkTTL: 7 * 24 * time.Hour},
		Blacklist: Blacklist{Family: "blacklist"},
		Push: Push{
			InFlight:        4,
			Timeout:         15 * time.Second,
			MaxAge:          72 * time.Hour,
			MaxInterval:     2 * time.Hour,
			LegacyDialBegin: true,
		},
		Stream: Stream{Window: time.Hour, WindowEvents: 10000},
		Bar:    Bar{PauseReasons: []string{"rest", "lunch", "training", "meeting"}, SLA: 20 * time.Second},
	}
}

// Demo is the configuration of `coocenterd -demo`, which reads no file: the
// API on 127.0.0.1:8000 without WEBKEY, everything else at its default
// except what the caller must fill in: Storage.Dir (empty; the caller picks
// a temporary directory) and AMI Host, Port, Username and Secret (empty;
// the caller points them at its pbxsim; manager.conf is not read).
// Monitor.Dir keeps its default.
func Demo() *Config {
	c := defaults()
	c.General.BindAddr = "127.0.0.1"
	c.General.MAC = systemMAC()
	c.Storage.Dir = ""
	c.AMI.Host, c.AMI.Port = "", 0
	return c
}

// Load reads, completes with defaults and validates the file at path.
// Any error is an *Error; for an unreadable file it wraps the fs error,
// so errors.Is(err, fs.ErrNotExist) works. Unknown sections and keys are
// not errors but Config.Warnings. It does not read manager.conf: that is
// CompleteAMI.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		problem := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			problem = pe.Err.Error() // the path is already in the message
		}
		return nil, &Error{File: path, Problem: "cannot be read: " + problem, cause: err}
	}
	return Parse(path, data)
}

// Parse is Load for a file already in memory; path is used in Config.Path
// and in error messages.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data, systemMAC)
}

// parse is Parse with the source of the default MAC injected, for tests.
func parse(path string, data []byte, defaultMAC func() string) (*Config, error) {
	file := path
	if file == "" {
		file = "api.conf"
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM, from Windows editors
	warnings, err := checkStructure(file, data)
	if err != nil {
		return nil, err
	}
	values, err := readValues(file, data)
	if err != nil {
		return nil, err
	}
	c := defaults()
	c.Path = path
	c.Warnings = warnings
	for _, f := range fields {
		v, ok := values[f.section][f.canonical()]
		if !ok || v.value == "" {
			continue // an empty value means the default
		}
		if err := checkChars(v.value); err != nil {
			return nil, &Error{File: file, Section: f.section, Key: v.name, Problem: err.Error()}
		}
		if err := f.set(c, v.value); err != nil {
			return nil, &Error{File: file, Section: f.section, Key: v.name, Problem: err.Error()}
		}
	}
	if c.General.MAC == "" {
		c.General.MAC = defaultMAC()
	}
	if err := checkWhole(file, c, values); err != nil {
		return nil, err
	}
	return c, nil
}

// value is one key as read from the file.
type value struct {
	name  string // as written, for messages
	value string
}

// readValues parses data with ini.v1 into section -> key -> value, both
// names in lower case. checkStructure has already refused anything that
// would make the merge ambiguous (keys repeated in another case).
func readValues(file string, data []byte) (map[string]map[string]value, error) {
	f, err := ini.LoadSources(ini.LoadOptions{
		KeyValueDelimiters:        "=",
		IgnoreContinuation:        true,
		SpaceBeforeInlineComment:  true,
		UnescapeValueDoubleQuotes: true, // "a ; b" keeps its ";"
	}, data)
	if err != nil {
		return nil, &Error{File: file, Problem: "is not a valid INI file: " + iniProblem(err), cause: err}
	}
	values := make(map[string]map[string]value)
	for _, s := range f.Sections() {
		sec := canonicalSection(s.Name())
		for _, k := range s.Keys() {
			if values[sec] == nil {
				values[sec] = make(map[string]value)
			}
			values[sec][canonicalKey(k.Name())] = value{name: k.Name(), value: k.Value()}
		}
	}
	return values, nil
}

// checkWhole checks what no single key can: relations between keys.
func checkWhole(file string, c *Config, values map[string]map[string]value) error {
	if c.AMI.Secret != "" && c.AMI.Username == "" {
		key := "secret"
		if v, ok := values["ami"]["secret"]; ok {
			key = v.name
		}
		return &Error{File: file, Section: "ami", Key: key,
			Problem: "is set without username: set username too, or neither to take both from manager.conf"}
	}
	if c.Push.MaxInterval > c.Push.MaxAge {
		key := "max_interval"
		if v, ok := values["push"]["max_interval"]; ok {
			key = v.name
		}
		return &Error{File: file, Section: "push", Key: key, Problem: "is " + formatDuration(c.Push.MaxInterval) +
			", longer than max_age (" + formatDuration(c.Push.MaxAge) + ")"}
	}
	return nil
}
