package stream

import (
	"bytes"
	"strconv"
)

// AppendSSE writes one Server-Sent Event (the WHATWG HTML "event stream"
// format): its id (none when ""), its name and its data, each line of data
// its own data: field, and the blank line that ends it. id and name must
// not hold a line break: ids and names are ours.
func AppendSSE(b []byte, id, name string, data []byte) []byte {
	if id != "" {
		b = append(append(append(b, "id: "...), id...), '\n')
	}
	if name != "" {
		b = append(append(append(b, "event: "...), name...), '\n')
	}
	for {
		line, rest, more := bytes.Cut(data, []byte{'\n'})
		b = append(append(append(b, "data: "...), bytes.TrimSuffix(line, []byte{'\r'})...), '\n')
		if !more {
			break
		}
		data = rest
	}
	return append(b, '\n')
}

// AppendComment writes an SSE comment line, which clients ignore: a
// heartbeat that keeps proxies from closing an idle stream.
func AppendComment(b []byte, text string) []byte {
	return append(append(append(b, ": "...), text...), "\n\n"...)
}

// AppendRetry writes the reconnection delay a client should use.
func AppendRetry(b []byte, ms int) []byte {
	return append(strconv.AppendInt(append(b, "retry: "...), int64(ms), 10), "\n\n"...)
}
