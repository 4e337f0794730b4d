// MD5 of up to 16 independent streams at once, one per lane of a SIMD vector: a Node addon
// (md5-lanes.node, built by scripts/build-native.sh) for the cache's checks of Score parts.
//
// MD5 is serial within a stream: each 64-byte block needs the state the previous one left, so one
// stream runs at a core's scalar speed (~1.4 s per GiB here). Score objects come in parts of ~20 MiB,
// each with its own MD5, and the parts are independent streams: hashed side by side in the lanes of
// one vector, 16 of them cost about what 3 cost alone. GCC's generic vectors keep this portable; on
// x86-64 it is compiled for AVX-512, AVX2 and SSE2, and the loader picks what the CPU has.
//
// The JS side holds each lane's state in a Buffer (CTX_BYTES per lane) and feeds the lanes together:
// update(ctx, [buf, ...]) adds each buffer to its lane; digest(ctx, lane) finishes one lane.
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "md5-lanes reads MD5's little-endian words with memcpy"
#endif

#define LANES 16
typedef uint32_t lanes_u32 __attribute__((vector_size(4 * LANES)));

/** One lane's running MD5: the state, the bytes added so far, and a block not yet full. */
typedef struct {
  uint32_t h[4];
  uint64_t length;
  uint32_t pending;
  uint8_t buf[64];
} lane_ctx;

static const uint32_t K[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define H(x, y, z) ((x) ^ (y) ^ (z))
#define I(x, y, z) ((y) ^ ((x) | ~(z)))
#define STEP(f, w, x, y, z, i, g, s) \
  { \
    lanes_u32 t = w + f(x, y, z) + K[i] + W[g]; \
    w = x + ((t << s) | (t >> (32 - s))); \
  }

#if defined(__x86_64__)
#define LANE_TARGETS __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LANE_TARGETS
#endif

/** Runs `nblocks` 64-byte blocks of every lane's input through the lanes' states. */
LANE_TARGETS static void md5_blocks(lanes_u32 st[4], const uint8_t *const in[LANES], size_t nblocks) {
  lanes_u32 W[16];
  lanes_u32 a = st[0], b = st[1], c = st[2], d = st[3];
  for (size_t k = 0; k < nblocks; k++) {
    for (int l = 0; l < LANES; l++) {
      const uint8_t *p = in[l] + 64 * k;
      for (int j = 0; j < 16; j++) {
        uint32_t v;
        memcpy(&v, p + 4 * j, 4);
        W[j][l] = v;
      }
    }
    lanes_u32 A = a, B = b, C = c, D = d;
    for (int i = 0; i < 16; i += 4) {
      STEP(F, A, B, C, D, i, i, 7) STEP(F, D, A, B, C, i + 1, i + 1, 12)
      STEP(F, C, D, A, B, i + 2, i + 2, 17) STEP(F, B, C, D, A, i + 3, i + 3, 22)
    }
    for (int i = 16; i < 32; i += 4) {
      STEP(G, A, B, C, D, i, (5 * i + 1) % 16, 5) STEP(G, D, A, B, C, i + 1, (5 * i + 6) % 16, 9)
      STEP(G, C, D, A, B, i + 2, (5 * i + 11) % 16, 14) STEP(G, B, C, D, A, i + 3, (5 * i + 16) % 16, 20)
    }
    for (int i = 32; i < 48; i += 4) {
      STEP(H, A, B, C, D, i, (3 * i + 5) % 16, 4) STEP(H, D, A, B, C, i + 1, (3 * i + 8) % 16, 11)
      STEP(H, C, D, A, B, i + 2, (3 * i + 11) % 16, 16) STEP(H, B, C, D, A, i + 3, (3 * i + 14) % 16, 23)
    }
    for (int i = 48; i < 64; i += 4) {
      STEP(I, A, B, C, D, i, (7 * i) % 16, 6) STEP(I, D, A, B, C, i + 1, (7 * i + 7) % 16, 10)
      STEP(I, C, D, A, B, i + 2, (7 * i + 14) % 16, 15) STEP(I, B, C, D, A, i + 3, (7 * i + 21) % 16, 21)
    }
    a += A;
    b += B;
    c += C;
    d += D;
  }
  st[0] = a;
  st[1] = b;
  st[2] = c;
  st[3] = d;
}

/**
 * Runs `nblocks` blocks of each active lane (`in[l]` set) through its context. Idle lanes read the
 * first active lane's bytes, and their results are thrown away.
 */
static void run_lanes(lane_ctx *ctx, int n, const uint8_t *in[LANES], size_t nblocks) {
  const uint8_t *first = NULL;
  for (int l = 0; l < n && !first; l++) first = in[l];
  if (!first || nblocks == 0) return;
  lanes_u32 st[4];
  const uint8_t *src[LANES];
  for (int l = 0; l < LANES; l++) {
    src[l] = l < n && in[l] ? in[l] : first;
    for (int w = 0; w < 4; w++) st[w][l] = l < n ? ctx[l].h[w] : 0;
  }
  md5_blocks(st, src, nblocks);
  for (int l = 0; l < n; l++)
    if (in[l])
      for (int w = 0; w < 4; w++) ctx[l].h[w] = st[w][l];
}

/** Adds `len[l]` bytes at `data[l]` to lane l, for lanes 0..n-1. */
static void update_lanes(lane_ctx *ctx, int n, const uint8_t *data[LANES], size_t len[LANES]) {
  const uint8_t *in[LANES] = {0};
  // First each lane's block left pending by the last update, once these bytes fill it.
  int any = 0;
  for (int l = 0; l < n; l++) {
    lane_ctx *c = &ctx[l];
    c->length += len[l];
    if (c->pending == 0) continue;
    size_t take = 64 - c->pending < len[l] ? 64 - c->pending : len[l];
    memcpy(c->buf + c->pending, data[l], take);
    c->pending += take;
    data[l] += take;
    len[l] -= take;
    if (c->pending == 64) {
      in[l] = c->buf;
      c->pending = 0;
      any = 1;
    }
  }
  if (any) run_lanes(ctx, n, in, 1);
  // Then the whole blocks, all lanes together, as long as the shortest of those with any left lasts.
  for (;;) {
    size_t blocks = SIZE_MAX;
    for (int l = 0; l < n; l++) {
      in[l] = len[l] >= 64 ? data[l] : NULL;
      if (in[l] && len[l] / 64 < blocks) blocks = len[l] / 64;
    }
    if (blocks == SIZE_MAX) break;
    run_lanes(ctx, n, in, blocks);
    for (int l = 0; l < n; l++)
      if (in[l]) {
        data[l] += 64 * blocks;
        len[l] -= 64 * blocks;
      }
  }
  // What is left of each lane (under a block) waits for its next bytes.
  for (int l = 0; l < n; l++) {
    memcpy(ctx[l].buf + ctx[l].pending, data[l], len[l]);
    ctx[l].pending += len[l];
  }
}

/** Finishes lane l: MD5's padding and length, then the digest in hex. */
static void digest_lane(lane_ctx *ctx, int l, char hex[33]) {
  lane_ctx *c = &ctx[l];
  uint8_t tail[128] = {0};
  memcpy(tail, c->buf, c->pending);
  tail[c->pending] = 0x80;
  size_t blocks = c->pending < 56 ? 1 : 2;
  uint64_t bits = c->length * 8;
  memcpy(tail + 64 * blocks - 8, &bits, 8);
  const uint8_t *in[LANES] = {0};
  in[l] = tail;
  run_lanes(ctx, l + 1, in, blocks);
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    uint8_t byte = (uint8_t)(c->h[i / 4] >> (8 * (i % 4)));
    hex[2 * i] = digits[byte >> 4];
    hex[2 * i + 1] = digits[byte & 15];
  }
  hex[32] = 0;
}

static void init_lane(lane_ctx *c) {
  memset(c, 0, sizeof *c);
  c->h[0] = 0x67452301;
  c->h[1] = 0xefcdab89;
  c->h[2] = 0x98badcfe;
  c->h[3] = 0x10325476;
}

// ---- the Node binding ---------------------------------------------------------------------------

#define CHECK(call) \
  if ((call) != napi_ok) return fail(env, "md5-lanes: " #call " failed")

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/** A call's arguments (the first: the lane contexts, a Buffer), and the contexts' lanes. */
typedef struct {
  napi_value argv[2];
  lane_ctx *ctx;
  int lanes;
} lanes_call;

/** Unpacks a call of `argc` arguments (at most 2). */
static napi_status lanes_call_of(napi_env env, napi_callback_info info, size_t argc, lanes_call *call) {
  size_t given = argc;
  void *data;
  size_t bytes;
  napi_status s = napi_get_cb_info(env, info, &given, call->argv, NULL, NULL);
  if (s == napi_ok && given < argc) s = napi_invalid_arg;
  if (s == napi_ok) s = napi_get_buffer_info(env, call->argv[0], &data, &bytes);
  if (s != napi_ok) return s;
  if ((uintptr_t)data % _Alignof(lane_ctx) != 0) return napi_invalid_arg;
  call->ctx = data;
  call->lanes = (int)(bytes / sizeof(lane_ctx));
  return napi_ok;
}

/** init(ctx): every lane of ctx starts an empty MD5. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  lanes_call call;
  CHECK(lanes_call_of(env, info, 1, &call));
  for (int l = 0; l < call.lanes; l++) init_lane(&call.ctx[l]);
  return NULL;
}

/** update(ctx, inputs): inputs[l] (a Buffer, or null for none) is added to lane l. */
static napi_value js_update(napi_env env, napi_callback_info info) {
  lanes_call call;
  uint32_t n;
  CHECK(lanes_call_of(env, info, 2, &call));
  CHECK(napi_get_array_length(env, call.argv[1], &n));
  if (n > (uint32_t)call.lanes || n > LANES) return fail(env, "md5-lanes: more inputs than lanes");
  const uint8_t *data[LANES] = {0};
  size_t len[LANES] = {0};
  for (uint32_t l = 0; l < n; l++) {
    napi_value item;
    napi_valuetype type;
    CHECK(napi_get_element(env, call.argv[1], l, &item));
    CHECK(napi_typeof(env, item, &type));
    if (type == napi_null || type == napi_undefined) continue;
    void *bytes;
    CHECK(napi_get_buffer_info(env, item, &bytes, &len[l]));
    data[l] = bytes;
  }
  update_lanes(call.ctx, (int)n, data, len);
  return NULL;
}

/** digest(ctx, lane): lane's MD5 in hex; the lane must be started again (init) before further use. */
static napi_value js_digest(napi_env env, napi_callback_info info) {
  lanes_call call;
  napi_value out;
  int32_t lane;
  char hex[33];
  CHECK(lanes_call_of(env, info, 2, &call));
  CHECK(napi_get_value_int32(env, call.argv[1], &lane));
  if (lane < 0 || lane >= call.lanes || lane >= LANES) return fail(env, "md5-lanes: no such lane");
  digest_lane(call.ctx, lane, hex);
  CHECK(napi_create_string_latin1(env, hex, 32, &out));
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    {"init", NULL, js_init, NULL, NULL, NULL, napi_enumerable, NULL},
    {"update", NULL, js_update, NULL, NULL, NULL, napi_enumerable, NULL},
    {"digest", NULL, js_digest, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value lanes, ctx_bytes;
  if (napi_create_uint32(env, LANES, &lanes) != napi_ok || napi_create_uint32(env, sizeof(lane_ctx), &ctx_bytes) != napi_ok) return NULL;
  napi_property_descriptor sizes[] = {
    {"LANES", NULL, NULL, NULL, NULL, lanes, napi_enumerable, NULL},
    {"CTX_BYTES", NULL, NULL, NULL, NULL, ctx_bytes, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 3, props) != napi_ok || napi_define_properties(env, exports, 2, sizes) != napi_ok) return NULL;
  return exports;
}
