# Two entry points for a newcomer: `make run` and `make test`. Each sets itself up.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080

.PHONY: run test lint unit integration browser chromium fonts firefox venv hlsjs pdfjs bench bench-quick bench-cpu bench-compose bench-glass clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# hls.js plays an event's HLS in the audience page (web_client/stream.js): the npm registry's
# package, pinned, unpacked into web_client/vendor/ (not committed, never edited by hand).
HLSJS_VERSION := 1.6.19
HLSJS := web_client/vendor/hls.light.min.js
hlsjs: $(HLSJS)

$(HLSJS): Makefile
	@command -v npm >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm)
	rm -rf build/npm && mkdir -p build/npm web_client/vendor
	cd build/npm && npm pack --silent hls.js@$(HLSJS_VERSION) >/dev/null
	tar -xzf build/npm/hls.js-$(HLSJS_VERSION).tgz -C build/npm \
	  package/dist/hls.light.min.js package/LICENSE
	cp build/npm/package/dist/hls.light.min.js $@
	cp build/npm/package/LICENSE web_client/vendor/hls.js.LICENSE
	rm -rf build/npm

# pdf.js draws a lesson's material (a PDF) on the stage (web_client/materials.js): the npm
# registry's pdfjs-dist, pinned, its two ES modules unpacked into web_client/vendor/ like hls.js
# (named .js: every server maps that to JavaScript, which a module script needs).
PDFJS_VERSION := 6.5.438
PDFJS := web_client/vendor/pdf.min.js
pdfjs: $(PDFJS)

$(PDFJS): Makefile
	@command -v npm >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm)
	rm -rf build/pdfjs && mkdir -p build/pdfjs web_client/vendor
	cd build/pdfjs && npm pack --silent pdfjs-dist@$(PDFJS_VERSION) >/dev/null
	tar -xzf build/pdfjs/pdfjs-dist-$(PDFJS_VERSION).tgz -C build/pdfjs \
	  package/build/pdf.min.mjs package/build/pdf.worker.min.mjs package/LICENSE
	cp build/pdfjs/package/build/pdf.worker.min.mjs web_client/vendor/pdf.worker.min.js
	cp build/pdfjs/package/LICENSE web_client/vendor/pdfjs.LICENSE
	cp build/pdfjs/package/build/pdf.min.mjs $@
	rm -rf build/pdfjs

# A composed recording writes names and board texts in DejaVu Sans (recording/fonts.py), whose
# Cyrillic Pillow's own font lacks: Debian's fonts-dejavu-core.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-dejavu-core)

# Debian's Chromium drives the browser tests (never Playwright's own browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# Debian's Firefox ESR is a pupil's browser in tests/browser/test_firefox.py, driven over WebDriver
# BiDi by puppeteer-core: the npm registry's, pinned with its integrity hashes in
# tests/browser/firefox/package-lock.json and installed by `npm ci` (node_modules not committed).
FIREFOX_DRIVER := tests/browser/firefox
firefox: $(FIREFOX_DRIVER)/node_modules/.package-lock.json
	@command -v firefox-esr >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y firefox-esr)

$(FIREFOX_DRIVER)/node_modules/.package-lock.json: $(FIREFOX_DRIVER)/package-lock.json
	@command -v npm >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm)
	cd $(FIREFOX_DRIVER) && npm ci --silent --ignore-scripts --no-audit --no-fund
	touch $@

# Debian's Janus is the bench's reference SFU (bench/janus/ runs it with its own config). The
# package's system service (all interfaces, every plugin) is switched off where systemd runs.
.PHONY: janus
janus:
	@command -v janus >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y janus && \
	   (systemctl disable --now janus >/dev/null 2>&1 || true))

# Debian's coturn: the TURN server schools deploy beside ours (README, "Through school
# firewalls"); the tests start their own instance on 127.0.0.1. The package's service stays off.
.PHONY: coturn
coturn:
	@command -v turnserver >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y coturn && \
	   (systemctl disable --now coturn >/dev/null 2>&1 || true))

# Debian's nginx: the reverse proxy of the README's "HTTPS" section; the tests run that very site
# with their own prefix on 127.0.0.1 (tests/nginx.py). The package's service stays off.
.PHONY: nginx
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx && \
	   (systemctl disable --now nginx >/dev/null 2>&1 || true))

# Debian's redis-server: the district's directory of rooms and nodes (district/); the tests
# start their own on 127.0.0.1 (bench/redis_server.py). The package's service stays off.
.PHONY: redis
redis:
	@command -v redis-server >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server && \
	   (systemctl disable --now redis-server >/dev/null 2>&1 || true))

# Debian's PostgreSQL: the tests start their own server on 127.0.0.1 from its programs
# (tests/postgres.py); the package's system cluster and its service stay off.
.PHONY: postgresql
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql && \
	   (systemctl disable --now postgresql >/dev/null 2>&1 || true))

run: venv hlsjs pdfjs fonts
	DEMO_SCHOOL=1 PORT=$(PORT) $(PY) -m signaling

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: venv hlsjs pdfjs fonts chromium firefox janus coturn nginx redis postgresql lint
	$(VENV)/bin/pytest -p no:cacheprovider -q

unit: venv fonts redis postgresql
	$(VENV)/bin/pytest -q tests/unit

integration: venv redis postgresql
	$(VENV)/bin/pytest -q tests/integration

browser: venv hlsjs pdfjs fonts chromium firefox redis
	$(VENV)/bin/pytest -q tests/browser

# The bench suite (bench/__main__.py): every scenario against ours, Janus and the decoding relay;
# report and plots in bench/results/. bench-quick is a smoke of the same in under 3 minutes.
bench: venv janus
	$(PY) -m bench

bench-quick: venv janus
	$(PY) -m bench --quick

# How fast a recorded lesson is composed into its MP4, on one core (bench/compose_speed.py).
bench-compose: venv
	$(PY) -m bench.compose_speed

# Glass-to-glass delay of an event, WebRTC and HLS, read back from a clock in the video.
bench-glass: venv hlsjs chromium
	$(PY) -m bench.glass

# Proof that nothing is decoded: server CPU per added subscriber, ours against a decoding relay.
bench-cpu: venv
	$(PY) -m bench.cpu_per_subscriber

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache web_client/vendor build $(FIREFOX_DRIVER)/node_modules
