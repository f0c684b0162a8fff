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
PKGS	 = libpq hiredis libcjson openssl libjwt
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

.PHONY: all clean run start stop status restart reload test test-unit test-sql \
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
	@tests/run-unit.sh $(UNIT_BINS)

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

clean:
	rm -rf build lib/libmusclemap.a $(CGI_SRCS:%.c=%) $(CRON_SRCS:%.c=%) \
	    $(UNIT_BINS) $(BENCH_BINS)
