# MuscleMap: one Makefile, no generated build system.
#
#   make            build the library, the FastCGI binaries, the tools
#   make run        install what is missing, build, start everything, stay
#                   in the foreground until Ctrl-C
#   make start | stop | status | restart
#   make test       the same set-up, then every test suite
#   make bench      wrk benchmarks on loopback, printed as a table
#   make SAN=1 ...  the same with AddressSanitizer + UBSan (build/asan/)

CC	?= cc
PKGS	 = libpq hiredis libcjson openssl libjwt libmagic gdlib
SAN	?= 0
V	?= 0
ifeq ($(V),1)
Q	 =
else
Q	 = @
endif

ifeq ($(SAN),1)
OUT	 = build/asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
OPT	 = -O1 -g
else
OUT	 = .
SANFLAGS =
OPT	 = -O2 -g
endif
OBJ	 = build/obj-$(SAN)

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2
CFLAGS	?= $(OPT)
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -Ilib \
	   $(shell pkg-config --cflags $(PKGS))
LDFLAGS	+= $(SANFLAGS)
LDLIBS	 = $(OUT)/lib/libmusclemap.a -lfcgi $(shell pkg-config --libs $(PKGS)) -lm

LIB_SRCS = $(wildcard lib/*.c)
LIB_OBJS = $(LIB_SRCS:lib/%.c=$(OBJ)/lib/%.o)
CGI_SRCS = $(wildcard cgi-bin/*.c)
CGI_BINS = $(CGI_SRCS:%.c=$(OUT)/%)
CRON_SRCS = $(wildcard cron/*.c)
CRON_BINS = $(CRON_SRCS:%.c=$(OUT)/%)
UNIT_SRCS = $(wildcard tests/unit/check_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/unit/%)
BENCH_SRCS = $(wildcard tests/bench/*.c)
BENCH_BINS = $(BENCH_SRCS:%.c=$(OUT)/%)

STACK	 = etc/stack.sh

# Installation (make install PREFIX=... DESTDIR=...): FHS places.
PREFIX	?= /usr/local
DESTDIR	?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
LIBEXECDIR ?= $(PREFIX)/lib/musclemap
DATADIR	?= $(PREFIX)/share/musclemap
STATEDIR ?= /var/lib/musclemap
LOGDIR	?= /var/log/musclemap
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
MM_USER	?= musclemap
MM_TLS_CERT ?= /etc/ssl/certs/musclemap.pem
MM_TLS_KEY ?= /etc/ssl/private/musclemap.key
SUBST	 = sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	       -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	       -e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@LOGDIR@|$(LOGDIR)|g' \
	       -e 's|@MM_USER@|$(MM_USER)|g'

.PHONY: FORCE all clean run start stop status restart reload install uninstall test test-unit test-sql \
	test-http test-asan bench deps install-cron

all: $(OUT)/lib/libmusclemap.a $(CGI_BINS) $(CRON_BINS) $(BENCH_BINS)

$(OBJ)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/lib/libmusclemap.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(OUT)/cgi-bin/%: cgi-bin/%.c $(OUT)/lib/libmusclemap.a $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# The route list of GET /api/__routes and the OpenAPI document, both served
# by misc: every other binary prints its own table (--route-table) into a
# generated initializer that misc compiles in, next to its own table.  A
# binary rebuilt or added (another cgi-bin/*.c) regenerates the list and
# relinks misc, so the list cannot drift from the real tables.
# etc/api-summaries.tsv adds a summary and success status per route.
GEN	 = $(OBJ)/gen
ROUTE_BINS = $(filter-out $(OUT)/cgi-bin/misc,$(CGI_BINS))

# The list of binaries itself is a prerequisite (rewritten only when it
# changes), so removing a binary regenerates the list as well.
$(GEN)/route-bins.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(ROUTE_BINS)' | cmp -s - $@ || echo '$(ROUTE_BINS)' > $@

$(GEN)/routes.inc: $(ROUTE_BINS) $(GEN)/route-bins.txt
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  GEN     $@"
	$(Q)for b in $(ROUTE_BINS); do $$b --route-table || exit 1; \
	    done > $@.txt
	$(Q)awk -F '\t' 'NF == 5 { printf "\t{ \"%s\", \"%s\", \"%s\", \"%s\", %d },\n", \
	    $$1, $$2, $$3, $$4, $$5 == "internal" }' $@.txt > $@.tmp
	$(Q)mv $@.tmp $@ && rm -f $@.txt

$(GEN)/summaries.inc: etc/api-summaries.tsv
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  GEN     $@"
	$(Q)awk -F '\t' '!/^#/ && NF == 4 { gsub(/[\\"]/, "\\\\&", $$4); \
	    printf "\t{ \"%s\", \"%s\", %d, \"%s\" },\n", $$1, $$2, $$3, $$4 }' \
	    $< > $@.tmp && mv $@.tmp $@

$(OUT)/cgi-bin/misc: cgi-bin/misc.c $(GEN)/routes.inc $(GEN)/summaries.inc \
    $(OUT)/lib/libmusclemap.a $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) -I$(GEN) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(OUT)/cron/%: cron/%.c $(OUT)/lib/libmusclemap.a $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(OUT)/tests/bench/%: tests/bench/%.c $(OUT)/lib/libmusclemap.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(OUT)/tests/unit/%: tests/unit/%.c $(OUT)/lib/libmusclemap.a $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CCLD    $@"
	$(Q)$(CC) $(CFLAGS) $(shell pkg-config --cflags check) $(LDFLAGS) -o $@ $< \
	    $(LDLIBS) $(shell pkg-config --libs check)

# Installs the Debian packages the stack needs (as root), then builds.
deps:
	@$(STACK) deps

run: deps
	@$(MAKE) --no-print-directory all
	@$(STACK) run

start: deps
	@$(MAKE) --no-print-directory all
	@$(STACK) start

stop:
	@$(STACK) stop

status:
	@$(STACK) status

restart: stop start

# Rebuilds and replaces every binary's workers without dropping a request.
reload: all
	@$(STACK) reload

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@$(STACK) test

# Unit, SQL and HTTP suites one by one against a running stack.
test-unit: $(UNIT_BINS)
	@rc=0; for b in $(UNIT_BINS); do $$b || rc=1; done; exit $$rc

test-sql:
	@$(STACK) test-sql

test-http:
	@$(STACK) test-http

# The unit and end-to-end suites with binaries built under ASan + UBSan.
test-asan: deps
	@$(MAKE) --no-print-directory SAN=1 all \
	    $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/unit/%)
	@MM_BIN_DIR=build/asan $(STACK) test-asan

bench: deps
	@$(MAKE) --no-print-directory all
	@$(STACK) bench

install-cron:
	@$(STACK) install-cron

# Every installed file is listed in $(DATADIR)/MANIFEST, which uninstall
# reads, so the two never disagree.  Configuration that already exists is
# kept (an operator's edits win); state and logs are never removed.
install: all
	@set -e; d='$(DESTDIR)'; m=$$(mktemp); \
	put() { install -D -m "$$1" "$$2" "$$d$$3"; echo "$$3" >> "$$m"; }; \
	for b in $(CGI_SRCS:%.c=%) $(CRON_SRCS:%.c=%); do \
		put 0755 "$$b" "$(LIBEXECDIR)/$$b"; done; \
	for f in $$(cd sql && find . -type f \( -name '*.sql' -o -name '*.csv' \) | sort); do \
		put 0644 "sql/$$f" "$(DATADIR)/sql/$${f#./}"; done; \
	for f in $$(cd www && find . -type f | sort); do \
		put 0644 "www/$$f" "$(DATADIR)/www/$${f#./}"; done; \
	for f in musclemap@.socket musclemap@.service musclemap-migrate.service musclemap.target; do \
		$(SUBST) "etc/systemd/$$f" > "$$m.tmp"; put 0644 "$$m.tmp" "$(SYSTEMDDIR)/$$f"; done; \
	$(SUBST) etc/logrotate.conf.in > "$$m.tmp"; \
	put 0644 "$$m.tmp" "$(SYSCONFDIR)/logrotate.d/musclemap"; \
	$(SUBST) -e "s|DATABASE_URL='@DATABASE_URL@' |set -a; . $(SYSCONFDIR)/musclemap/musclemap.env; set +a; |g" \
	    -e 's|@MM_VAR_DIR@/log|$(LOGDIR)|g' -e 's|@MM_VAR_DIR@|$(STATEDIR)|g' \
	    -e 's|@MM_ROOT@|$(LIBEXECDIR)|g' etc/crontab > "$$m.tmp"; \
	put 0644 "$$m.tmp" "$(DATADIR)/crontab"; \
	for f in etc/mm_headers.conf etc/mm_fastcgi.conf; do \
		put 0644 "$$f" "$(SYSCONFDIR)/musclemap/nginx/$${f#etc/}"; done; \
	MM_NGINX_USER="user www-data;" MM_NGINX_MODULES="load_module /usr/lib/nginx/modules/ngx_nchan_module.so;" \
	MM_RUN_DIR=/run/musclemap MM_VAR_DIR=$(STATEDIR) MM_LOG_DIR=$(LOGDIR) \
	MM_TLS_CERT=$(MM_TLS_CERT) MM_TLS_KEY=$(MM_TLS_KEY) MM_CORS_MAP='		default "*";' \
	MM_HTTP_PORT=80 MM_HTTPS_PORT=443 MM_WWW_DIR=$(DATADIR)/www MM_NGINX_DIR=$(SYSCONFDIR)/musclemap/nginx \
	MM_STATIC_RATE=2000 MM_STATIC_BURST=4000 MM_ACCESS_LOG="$(LOGDIR)/access.log mm_json buffer=64k flush=1s" \
	MM_NCHAN_REDIS= MM_NCHAN_REDIS_PASS= \
	envsubst "$$(sed -n 's/.*\($${MM_[A-Z_]*}\).*/\1/p' etc/nginx.conf.in | sort -u | tr '\n' ' ')" \
		< etc/nginx.conf.in | sed 's|listen 127.0.0.1:|listen |' > "$$m.tmp"; \
	put 0644 "$$m.tmp" "$(SYSCONFDIR)/musclemap/nginx/nginx.conf"; \
	if [ ! -e "$$d$(SYSCONFDIR)/musclemap/musclemap.env" ]; then \
		install -D -m 0640 etc/musclemap.env.in "$$d$(SYSCONFDIR)/musclemap/musclemap.env"; fi; \
	echo "$(SYSCONFDIR)/musclemap/musclemap.env" >> "$$m"; \
	echo "$(DATADIR)/MANIFEST" >> "$$m"; \
	install -d -m 0750 "$$d$(STATEDIR)" "$$d$(LOGDIR)"; \
	install -D -m 0644 "$$m" "$$d$(DATADIR)/MANIFEST"; rm -f "$$m" "$$m.tmp"; \
	echo "Installed under $(DESTDIR)$(PREFIX) and $(DESTDIR)$(SYSCONFDIR)/musclemap (state $(STATEDIR), logs $(LOGDIR))."

uninstall:
	@set -e; d='$(DESTDIR)'; m="$$d$(DATADIR)/MANIFEST"; \
	[ -f "$$m" ] || { echo "nothing installed under $$d$(PREFIX)"; exit 0; }; \
	for f in $$(cat "$$m"); do rm -f "$$d$$f"; done; \
	for dir in "$$d$(LIBEXECDIR)" "$$d$(DATADIR)" "$$d$(SYSCONFDIR)/musclemap"; do \
		[ -d "$$dir" ] && find "$$dir" -depth -type d -empty -delete; done; \
	echo "Removed; state in $(STATEDIR) and logs in $(LOGDIR) are kept."

clean:
	rm -rf build lib/libmusclemap.a $(CGI_SRCS:%.c=%) $(CRON_SRCS:%.c=%) \
	    $(UNIT_BINS) $(BENCH_BINS)
