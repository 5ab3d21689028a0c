package recordings

import (
	"path"
	"strings"
)

// contentTypes maps the file extensions of Asterisk's recording formats
// (lower case) to their media types. Headerless formats name their rate.
var contentTypes = map[string]string{
	"wav":    "audio/wav", // also wav49 (GSM in WAV), which Asterisk names .WAV
	"wav16":  "audio/wav",
	"gsm":    "audio/x-gsm",
	"mp3":    "audio/mpeg",
	"ogg":    "audio/ogg",
	"opus":   "audio/opus",
	"flac":   "audio/flac",
	"m4a":    "audio/mp4",
	"g722":   "audio/G722",
	"g729":   "audio/G729",
	"ulaw":   "audio/basic",
	"ul":     "audio/basic",
	"mu":     "audio/basic",
	"pcm":    "audio/basic",
	"alaw":   "audio/x-alaw-basic",
	"al":     "audio/x-alaw-basic",
	"sln":    "audio/L16;rate=8000",
	"raw":    "audio/L16;rate=8000",
	"sln12":  "audio/L16;rate=12000",
	"sln16":  "audio/L16;rate=16000",
	"sln24":  "audio/L16;rate=24000",
	"sln32":  "audio/L16;rate=32000",
	"sln44":  "audio/L16;rate=44100",
	"sln48":  "audio/L16;rate=48000",
	"sln96":  "audio/L16;rate=96000",
	"sln192": "audio/L16;rate=192000",
}

// ContentType returns the media type of a recording by its extension, in
// any case; application/octet-stream when unknown.
func ContentType(name string) string {
	if ct, ok := contentTypes[strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))]; ok {
		return ct
	}
	return "application/octet-stream"
}
