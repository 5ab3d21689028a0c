package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// BasePath is the prefix of every endpoint of the contract.
const BasePath = "/coocenter-api"

var (
	readMethods   = []string{http.MethodGet, http.MethodPost}
	deleteMethods = []string{http.MethodDelete, http.MethodPost}
)

// addRoutes lists every endpoint. api.md section numbers are in the comments.
func (s *server) addRoutes(r *gin.Engine) {
	r.GET("/healthz", handleHealthz(s.pbx, s.version)) // no auth: alive, for systemd's watchdog
	r.GET("/readyz", s.handleReadyz())                 // no auth: ready, for load balancers and monitoring
	// No auth: docs/openapi.yaml as JSON (api.md §6.4), converted here once.
	r.GET(BasePath+"/openapi.json", handleOpenAPI(s.log))
	if s.metrics != nil {
		r.GET("/metrics", s.authenticateScrape, gin.WrapH(s.metrics))
	}

	if s.folder != nil { // §3.12: no request deadline, a download may take long
		mon := r.Group(BasePath+"/monitor", s.authenticateMonitor)
		serve := s.handleMonitor()
		mon.GET("/*filePath", serve)
		mon.HEAD("/*filePath", serve)
	}

	if s.bar != nil { // §8.6, ours: the call bar's and the wall's pages
		s.addPages(r)
	}
	if s.stream != nil { // §7, ours: no request deadline, a stream lasts
		r.GET(BasePath+"/events", s.authenticateStream, s.parseParams, s.handleEvents())
	}

	api := r.Group(BasePath, s.authenticate, s.deadline)
	api.Match(readMethods, "/extensions/current-calls", handleCurrentCalls(s.pbx, s.now))           // §3.1
	api.Match(readMethods, "/extensions/extension-status", handleExtensionStatus(s.pbx))            // §3.2
	api.Match(readMethods, "/extensions/extension-hints-status", handleExtensionHintsStatus(s.pbx)) // §3.3
	api.Match(readMethods, "/queues/queue-info", handleQueueInfo(s.pbx))                            // §3.4
	api.Match(readMethods, "/blacklist/index", handleBlacklistIndex(s.log, s.blacklist))            // §3.13

	// Commands: parameters parsed once, before the handler validates them.
	cmd := api.Group("", s.parseParams, s.checkLink)
	cmd.POST("/queues/agent-pause", handleAgentPause(s.log, s.pbx))                          // §3.5
	cmd.POST("/queues/agent-login", handleAgentLogin(s.log, s.pbx))                          // §3.6
	cmd.POST("/queues/agent-logout", handleAgentLogout(s.log, s.pbx))                        // §3.7
	cmd.POST("/blacklist/create", handleBlacklistCreate(s.log, s.blacklist))                 // §3.14
	cmd.Match(deleteMethods, "/blacklist/delete", handleBlacklistDelete(s.log, s.blacklist)) // §3.15
	cmd.Match(readMethods, "/extensions/agent-status", s.handleAgentStatus())                // §3.16, ours

	// Ours, beyond the original.
	if s.wrapUps != nil { // ours: the after-call pauses (api.md §5)
		cmd.Match(readMethods, "/queues/wrapups", s.handleWrapUps())
		cmd.POST("/queues/wrapup-end", s.handleWrapUpEnd())
		cmd.POST("/queues/wrapup-extend", s.handleWrapUpExtend())
	}
	if s.push != nil { // ours: pushes no receiver accepted
		cmd.Match(readMethods, "/push/dead-letters", s.handleDeadLetters())
		cmd.POST("/push/replay", s.handleReplay())
	}
	if s.stream != nil { // §7, ours: tokens that open the stream in a browser
		cmd.POST("/events/token", s.handleEventToken())
	}
	if s.bar != nil { // §8, ours: the call bar's and the wall's links
		cmd.POST("/bar/link", s.handleBarLink())
		cmd.Match(readMethods, "/bar/session", s.handleBarSession())
	}
	if s.folder != nil { // ours: find recordings, hand out links a browser can open
		cmd.Match(readMethods, "/recordings/index", s.handleRecordingIndex())
		if s.links != nil {
			cmd.Match(readMethods, "/recordings/link", s.handleRecordingLink())
		}
	}

	// Calls: a retry carrying the same Idempotency-Key is answered from memory.
	once := cmd.Group("", s.idempotent)
	once.POST("/extensions/click-number", handleClickNumber(s.log, s.pbx)) // §3.8
	once.POST("/extensions/hangup", handleHangup(s.log, s.pbx))            // §3.9
	once.POST("/extensions/transfer", handleTransfer(s.log, s.pbx))        // §3.10
	once.POST("/extensions/extenSpy", handleExtenSpy(s.log, s.pbx))        // §3.11
	// The agent's verbs (ours).
	once.POST("/extensions/hold", handleHold(s.log, s.pbx))                        // §3.17
	once.POST("/extensions/unhold", handleUnhold(s.log, s.pbx))                    // §3.17
	once.POST("/extensions/mute", handleMute(s.log, s.pbx))                        // §3.18
	once.POST("/extensions/unmute", handleUnmute(s.log, s.pbx))                    // §3.18
	once.POST("/extensions/consult", handleConsult(s.log, s.pbx))                  // §3.19
	once.POST("/extensions/consult-transfer", handleConsultTransfer(s.log, s.pbx)) // §3.20
	once.POST("/extensions/consult-cancel", handleConsultCancel(s.log, s.pbx))     // §3.21
	once.POST("/extensions/three-way", handleThreeWay(s.log, s.pbx))               // §3.22
	once.POST("/extensions/webcall", handleWebcall(s.log, s.pbx))                  // §3.23
}
