# The habits: make build, make test, make lint, make bench, make demo, make install.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PREFIX  ?= /usr/local
DESTDIR ?=

.PHONY: build test lint bench fuzz demo install clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/coocenterd ./cmd/coocenterd

# The README's test command; .ci/run runs exactly this plus lint.
test:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Fuzz the AMI parser (FUZZTIME=10m make fuzz for a longer run).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadMessage -fuzztime $(FUZZTIME) ./internal/ami/

demo:
	$(GO) run ./cmd/coocenterd -demo

install: build
	install -D -m 0755 bin/coocenterd $(DESTDIR)$(PREFIX)/bin/coocenterd
	install -D -m 0644 systemd/coocenterd.service $(DESTDIR)/etc/systemd/system/coocenterd.service
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/coocenterd/asterisk
	install -m 0644 asterisk/*.conf $(DESTDIR)$(PREFIX)/share/coocenterd/asterisk/
	install -d -m 0750 $(DESTDIR)/etc/coocenterd
	test -e $(DESTDIR)/etc/coocenterd/api.conf || install -m 0640 api.conf.example $(DESTDIR)/etc/coocenterd/api.conf

clean:
	rm -rf bin coocenterd
