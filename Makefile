# The habits: make build, make test, make lint, make bench, make demo, make install.
GO      ?= go
# The semantic version lives in cmd/coocenterd/version.go; the commit is
# stamped here too, as GOFLAGS=-buildvcs=false or a tarball leaves none.
VERSION := $(shell sed -n 's/^var version = "\(.*\)"/\1/p' cmd/coocenterd/version.go)
COMMIT  ?= $(shell git describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null)
LDFLAGS := -s -w -X main.buildCommit=$(COMMIT)
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
