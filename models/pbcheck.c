/* The memory protobuf-c would allocate to unpack a message (pbcheck.h), counted from above without unpacking:
 * per message its struct, per field occurrence protobuf-c's scan record, per repeated field its array (packed
 * scalars counted element by element), per string or bytes field its copy, per unknown field its record and
 * copy, each allocation with the allocator's overhead. Each field's total (nested messages included) is kept,
 * so a refusal can name the field that asks for the most. */
#include "pbcheck.h"

#include <inttypes.h>
#include <string.h>

/* What malloc adds to each block, and protobuf-c's record of one scanned field (tag, wire type, field, data:
 * 32 bytes, in slabs that double as they fill, so up to 64 per field). */
#define PB_ALLOC_OVERHEAD 16u
#define PB_SCAN_RECORD 64u
/* Our schemas are not recursive (at most 5 levels); deeper data is malformed. */
#define PB_MAX_DEPTH 16
/* Distinct (message, field) pairs tallied; our schemas have fewer. */
#define PB_MAX_TALLY 64

typedef struct pb_tally {
    const ProtobufCMessageDescriptor *msg;
    const ProtobufCFieldDescriptor *field; /* NULL: the message's unknown fields */
    uint64_t n, bytes;
} pb_tally;

typedef struct pb_count {
    uint64_t bytes;
    int ntally;
    pb_tally tally[PB_MAX_TALLY];
} pb_count;

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 1;
    }
    return 0;
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 4; /* 32-bit scalars, bool, enum */
    }
}

/* Elements in a packed run of n bytes of scalar type t. */
static uint64_t packed_count(ProtobufCType t, const uint8_t *p, size_t n)
{
    if (t == PROTOBUF_C_TYPE_FIXED32 || t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_FLOAT) return n / 4;
    if (t == PROTOBUF_C_TYPE_FIXED64 || t == PROTOBUF_C_TYPE_SFIXED64 || t == PROTOBUF_C_TYPE_DOUBLE) return n / 8;
    uint64_t c = 0; /* varints: one per byte without the continuation bit */
    for (size_t i = 0; i < n; i++) c += !(p[i] & 0x80);
    return c;
}

static void tally(pb_count *c, const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f, uint64_t n,
                  uint64_t bytes)
{
    int i = 0;
    while (i < c->ntally && !(c->tally[i].msg == d && c->tally[i].field == f)) i++;
    if (i == c->ntally) {
        if (i == PB_MAX_TALLY) return;
        c->tally[c->ntally++] = (pb_tally){d, f, 0, 0};
    }
    c->tally[i].n += n, c->tally[i].bytes += bytes;
}

/* A known field's own memory besides a nested message's: its share of a repeated array, its copy of a string. */
static uint64_t field_bytes(const ProtobufCFieldDescriptor *f, unsigned wire, const uint8_t *p, size_t n,
                            uint64_t *elems)
{
    uint64_t b = 0;
    *elems = 1;
    if (f->type == PROTOBUF_C_TYPE_STRING) b += n + 1 + PB_ALLOC_OVERHEAD;
    else if (f->type == PROTOBUF_C_TYPE_BYTES) b += n + PB_ALLOC_OVERHEAD;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        int scalar = f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_BYTES &&
                     f->type != PROTOBUF_C_TYPE_MESSAGE;
        if (scalar && wire == 2) *elems = packed_count(f->type, p, n);
        b += *elems * elem_size(f->type);
    }
    return b;
}

/* Counts message d and everything in it; returns what the message's own struct costs. */
static uint64_t count_message(pb_count *c, const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                              int depth)
{
    const uint64_t self = d->sizeof_message + PB_ALLOC_OVERHEAD;
    c->bytes += self;
    size_t pos = 0;
    while (pos < len && depth < PB_MAX_DEPTH) {
        uint64_t tag, v, elems = 1;
        if (!read_varint(buf, len, &pos, &tag)) break;
        unsigned wire = (unsigned)(tag & 7);
        size_t start = pos, n = 0;
        if (wire == 0) {
            if (!read_varint(buf, len, &pos, &v)) break;
        } else if (wire == 1 || wire == 5) {
            n = wire == 1 ? 8 : 4;
            if (n > len - pos) break;
            pos += n;
        } else if (wire == 2) {
            if (!read_varint(buf, len, &pos, &v) || v > len - pos) break;
            start = pos, n = (size_t)v, pos += n;
        } else {
            break; /* groups and bad wire types: protobuf-c refuses them */
        }
        const ProtobufCFieldDescriptor *f =
            tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3)) : NULL;
        /* This entry's own cost (a nested message's struct, not its fields) goes to its field's tally. */
        uint64_t own = PB_SCAN_RECORD, nested = 0;
        if (!f) {
            own += sizeof(ProtobufCMessageUnknownField) + n + 2 * PB_ALLOC_OVERHEAD;
        } else {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && wire == 2)
                nested = count_message(c, f->descriptor, buf + start, n, depth + 1); /* counted there */
            own += field_bytes(f, wire, buf + start, n, &elems);
        }
        c->bytes += own;
        tally(c, d, f, elems, own + nested);
    }
    return self;
}

fv_status fv_pb_check_size(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len, const char *path,
                           uint64_t *estimate)
{
    pb_count c;
    memset(&c, 0, sizeof c);
    count_message(&c, d, buf, len, 0);
    if (estimate) *estimate = c.bytes;
    const uint64_t cap = (uint64_t)len * FV_PB_MAX_RATIO + FV_PB_MAX_SLACK;
    if (c.bytes <= cap) return FV_OK;
    /* Name the field whose entries (nested ones within them aside) cost the most. */
    const pb_tally *w = NULL;
    for (int i = 0; i < c.ntally; i++)
        if (!w || c.tally[i].bytes > w->bytes) w = &c.tally[i];
    return fv_fail(FV_ERR_FORMAT, "%s: unpacking this %zu-byte %s would take %" PRIu64 " MiB (at most %d times the "
                   "file plus %" PRIu64 " MiB is allowed): %" PRIu64 " entries of %s.%s take %" PRIu64 " MiB",
                   path, len, d->name, c.bytes >> 20, FV_PB_MAX_RATIO, FV_PB_MAX_SLACK >> 20, w ? w->n : 0,
                   w ? w->msg->name : d->name, w && w->field ? w->field->name : "(unknown fields)",
                   w ? w->bytes >> 20 : 0);
}
