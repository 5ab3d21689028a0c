package config

import (
	"slices"
	"strings"
	"time"
)

// field is one key of api.conf: where it lives and how its (non-empty)
// value is checked and stored. The table below is the whole vocabulary of
// the file; a key not in it is a warning and is ignored.
type field struct {
	section string // lower case
	key     string // as documented: the original's casing for its keys
	set     func(c *Config, v string) error
}

func (f field) canonical() string { return canonicalKey(f.key) }

func canonicalSection(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func canonicalKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// sections lists the known sections in the order of api.conf.example.
var sections = []string{"general", "enable", "ami", "pausetime", "storage", "monitor", "blacklist", "push", "metrics", "stream", "bar"}

// fields is in the order checks run: the first bad key is the one reported.
var fields = []field{
	// The original MyComm keys, then ours.
	{"general", "BINDPORT", func(c *Config, v string) (err error) {
		c.General.BindPort, err = parsePort(v)
		return err
	}},
	{"general", "URL", func(c *Config, v string) (err error) {
		c.General.URLs, err = parseURLList(v)
		return err
	}},
	{"general", "WEBKEY", func(c *Config, v string) error {
		c.General.WebKey = v // any text: only checkChars applies
		return nil
	}},
	{"general", "mac", func(c *Config, v string) (err error) {
		c.General.MAC, err = parseMAC(v)
		return err
	}},
	{"general", "pop_url", func(c *Config, v string) (err error) {
		c.General.PopURL, err = parseHTTPURL(v)
		return err
	}},
	{"general", "BINDADDR", func(c *Config, v string) (err error) {
		c.General.BindAddr, err = parseHost(v)
		return err
	}},
	{"general", "log_level", func(c *Config, v string) (err error) {
		c.General.LogLevel, err = parseLogLevel(v)
		return err
	}},
	{"general", "log_format", func(c *Config, v string) (err error) {
		c.General.LogFormat, err = parseChoice(v, "text", "json")
		return err
	}},

	{"enable", "pausetime", func(c *Config, v string) (err error) {
		c.Enable.PauseTime, err = parseYesNo(v)
		return err
	}},

	{"ami", "host", func(c *Config, v string) (err error) {
		c.AMI.Host, err = parseHost(v)
		c.AMI.hostSet = true
		return err
	}},
	{"ami", "port", func(c *Config, v string) (err error) {
		c.AMI.Port, err = parsePort(v)
		c.AMI.portSet = true
		return err
	}},
	{"ami", "username", func(c *Config, v string) error {
		c.AMI.Username = v
		return nil
	}},
	{"ami", "secret", func(c *Config, v string) error {
		c.AMI.Secret = v
		return nil
	}},
	{"ami", "manager_conf", func(c *Config, v string) (err error) {
		c.AMI.ManagerConf, err = parsePath(v)
		return err
	}},
	{"ami", "auth_type", func(c *Config, v string) (err error) {
		c.AMI.AuthType, err = parseChoice(v, "plain", "md5")
		return err
	}},
	{"ami", "originate_context", func(c *Config, v string) (err error) {
		c.AMI.OriginateContext, err = parseName(v)
		return err
	}},
	{"ami", "channel_tech", func(c *Config, v string) (err error) {
		c.AMI.ChannelTech, err = parseChoice(v, "auto", "SIP", "PJSIP")
		return err
	}},
	{"ami", "events", func(c *Config, v string) (err error) {
		c.AMI.Events, err = parseEvents(v)
		return err
	}},
	{"ami", "ping_interval", func(c *Config, v string) (err error) {
		c.AMI.PingInterval, err = parseDuration(v, time.Second, time.Hour)
		return err
	}},
	{"ami", "action_timeout", func(c *Config, v string) (err error) {
		c.AMI.ActionTimeout, err = parseDuration(v, time.Second, 10*time.Minute)
		return err
	}},
	{"ami", "reconnect_max", func(c *Config, v string) (err error) {
		c.AMI.ReconnectMax, err = parseDuration(v, time.Second, time.Hour)
		return err
	}},

	{"pausetime", "seconds", func(c *Config, v string) (err error) {
		c.PauseTime.Seconds, err = parseInt(v, 1, 86400)
		return err
	}},
	{"pausetime", "reason", func(c *Config, v string) (err error) {
		c.PauseTime.Reason, err = parseReason(v)
		return err
	}},
	{"pausetime", "after", func(c *Config, v string) (err error) {
		c.PauseTime.After, err = parseChoice(v, PauseAfterQueue, PauseAfterAnswered, PauseAfterAll)
		return err
	}},

	{"storage", "dir", func(c *Config, v string) (err error) {
		c.Storage.Dir, err = parsePath(v)
		return err
	}},
	{"monitor", "dir", func(c *Config, v string) (err error) {
		c.Monitor.Dir, err = parsePath(v)
		return err
	}},
	{"monitor", "link_secret", func(c *Config, v string) (err error) {
		c.Monitor.LinkSecret, err = parseLinkSecret(v)
		return err
	}},
	{"monitor", "link_base", func(c *Config, v string) (err error) {
		c.Monitor.LinkBase, err = parseLinkBase(v)
		return err
	}},
	{"monitor", "link_ttl", func(c *Config, v string) (err error) {
		c.Monitor.LinkTTL, err = parseDuration(v, time.Minute, 90*24*time.Hour)
		return err
	}},
	{"blacklist", "family", func(c *Config, v string) (err error) {
		c.Blacklist.Family, err = parseName(v)
		return err
	}},

	{"push", "in_flight", func(c *Config, v string) (err error) {
		c.Push.InFlight, err = parseInt(v, 1, 64)
		return err
	}},
	{"push", "timeout", func(c *Config, v string) (err error) {
		c.Push.Timeout, err = parseDuration(v, time.Second, 10*time.Minute)
		return err
	}},
	{"push", "max_age", func(c *Config, v string) (err error) {
		c.Push.MaxAge, err = parseDuration(v, time.Minute, 365*24*time.Hour)
		return err
	}},
	{"push", "max_interval", func(c *Config, v string) (err error) {
		c.Push.MaxInterval, err = parseDuration(v, time.Second, 24*time.Hour)
		return err
	}},
	{"push", "secrets", func(c *Config, v string) (err error) {
		c.Push.Secrets, err = parseSecrets(v)
		return err
	}},
	{"push", "legacy_dialbegin", func(c *Config, v string) (err error) {
		c.Push.LegacyDialBegin, err = parseYesNo(v)
		return err
	}},

	{"metrics", "token", func(c *Config, v string) (err error) {
		c.Metrics.Token, err = parseToken(v)
		return err
	}},
	{"metrics", "allow", func(c *Config, v string) (err error) {
		c.Metrics.Allow, err = parseNetworks(v)
		return err
	}},

	{"stream", "window", func(c *Config, v string) (err error) {
		c.Stream.Window, err = parseDuration(v, time.Minute, 24*time.Hour)
		return err
	}},
	{"stream", "window_events", func(c *Config, v string) (err error) {
		c.Stream.WindowEvents, err = parseInt(v, 100, 1000000)
		return err
	}},

	{"bar", "pause_reasons", func(c *Config, v string) (err error) {
		c.Bar.PauseReasons, err = parseReasons(v)
		return err
	}},
	{"bar", "sla", func(c *Config, v string) (err error) {
		secs, err := parseInt(v, 1, 3600)
		c.Bar.SLA = time.Duration(secs) * time.Second
		return err
	}},
}

// lookupField finds a key of a section, both names in any case.
func lookupField(section, key string) (field, bool) {
	sec, k := canonicalSection(section), canonicalKey(key)
	i := slices.IndexFunc(fields, func(f field) bool { return f.section == sec && f.canonical() == k })
	if i < 0 {
		return field{}, false
	}
	return fields[i], true
}

// keysOf lists a section's keys as documented.
func keysOf(section string) []string {
	var keys []string
	for _, f := range fields {
		if f.section == section {
			keys = append(keys, f.key)
		}
	}
	return keys
}
