package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/pausetimer"
)

// WrapUps are the agents' after-call pauses; internal/pausetimer implements it.
type WrapUps interface {
	Active() []pausetimer.WrapUp
	Extend(ctx context.Context, exten string, by time.Duration) (until time.Time, err error)
	End(ctx context.Context, exten string) error
}

var wrapUpSeconds = kind{valid: intIn(1, 3600),
	must: "a number of seconds from 1 to 3600"}

// wrapUpRow is one running after-call pause, as queues/wrapups lists it.
type wrapUpRow struct {
	Extension string   `json:"extension"`
	Interface string   `json:"interface"`
	Queues    []string `json:"queues"`
	State     string   `json:"state"` // running, or deferred (the agent is still on another call)
	StartTime string   `json:"startTime"`
	Until     string   `json:"until"`
	UUID      string   `json:"uuid"`
}

// handleWrapUps lists the after-call pauses running (ours).
func (s *server) handleWrapUps() gin.HandlerFunc {
	return func(c *gin.Context) {
		rows := []wrapUpRow{}
		for _, u := range s.wrapUps.Active() {
			row := wrapUpRow{Extension: u.Exten, Interface: u.Interface, Queues: u.Queues, State: u.Kind, UUID: u.Uniqueid}
			if row.Queues == nil {
				row.Queues = []string{}
			}
			if !u.Start.IsZero() {
				row.StartTime = u.Start.In(s.loc).Format(time.DateTime)
			}
			if !u.Until.IsZero() {
				row.Until = u.Until.In(s.loc).Format(time.DateTime)
			}
			rows = append(rows, row)
		}
		succeed(c, "Wrap-ups will follow", rows)
	}
}

// handleWrapUpEnd ends an agent's after-call pause now (ours).
func (s *server) handleWrapUpEnd() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		exten := v.required("extension", extension)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error { return s.wrapUps.End(ctx, exten) })
		if s.wrapUpFailed(c, err, exten, "end") {
			return
		}
		succeed(c, "end wrapup success", nil)
	}
}

// handleWrapUpExtend moves the end of an agent's after-call pause by
// seconds (ours).
func (s *server) handleWrapUpExtend() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		exten := v.required("extension", extension)
		secs := v.required("seconds", wrapUpSeconds)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		n, _ := strconv.Atoi(secs)
		until, err := call(c.Request.Context(), func(ctx context.Context) (time.Time, error) {
			return s.wrapUps.Extend(ctx, exten, time.Duration(n)*time.Second)
		})
		if s.wrapUpFailed(c, err, exten, "extend") {
			return
		}
		succeed(c, "extend wrapup success", gin.H{"until": until.In(s.loc).Format(time.DateTime)})
	}
}

// wrapUpFailed answers a failed wrap-up command; false when err is nil.
func (s *server) wrapUpFailed(c *gin.Context, err error, exten, verb string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, pausetimer.ErrNoWrapUp):
		fail(c, http.StatusNotFound, fmt.Sprintf("extension %s has no after-call pause running", exten))
	default:
		failCall(c, s.log, nil, err, subject{op: fmt.Sprintf("%s the after-call pause of extension %s", verb, exten)})
	}
	return true
}
