/* Limits before protobuf-c unpacks a model file (pbcheck.c): protobuf-c allocates for every message, repeated
 * element, string and unknown field a file lists, so a few bytes per entry (an empty layer, an empty blob, an
 * unknown varint) can ask for a hundred times their size. The wire format is walked first with the schema's
 * descriptors and the memory the unpack would take is refused when it is out of proportion to the file. */
#ifndef FV_MODELS_PBCHECK_H
#define FV_MODELS_PBCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/status.h"

/* Unpacking may take at most this many bytes per byte of file, plus FV_PB_MAX_SLACK (a real caffemodel or
 * GraphDef of float weights unpacks to about its own size). */
#define FV_PB_MAX_RATIO 4
#define FV_PB_MAX_SLACK ((uint64_t)64 << 20)

/* FV_OK, or FV_ERR_FORMAT naming the file and the field whose entries would take the most memory when
 * unpacking message `d` from buf[0..len) would take more than FV_PB_MAX_RATIO * len + FV_PB_MAX_SLACK bytes.
 * Malformed wire data is left to protobuf-c to refuse. *estimate (may be NULL) receives the bytes counted. */
fv_status fv_pb_check_size(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len, const char *path,
                           uint64_t *estimate);

#endif
