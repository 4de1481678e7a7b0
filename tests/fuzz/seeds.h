/* The seed corpora of the fuzz targets (make_fuzz_seeds OUTDIR): small valid files of every kind, written by
 * seeds.c (text, .npy), seeds_models.c (Caffe and GraphDef, tiny InceptionV1s that the builder accepts),
 * seeds_onnx.c (ONNX models using every operator the builder reads) and seeds_images.c (PNG of every colour type
 * and bit depth, JPEG of every colour space). Not part of the library. */
#ifndef FV_FUZZ_SEEDS_H
#define FV_FUZZ_SEEDS_H

#include <stddef.h>

/* Write len bytes to DIR/name; exits the program on failure (a test helper). */
void seed_write(const char *dir, const char *name, const void *buf, size_t len);
/* DIR/name as a path (a ring of buffers). */
const char *seed_path(const char *dir, const char *name);

void seeds_caffe(const char *dir);
void seeds_graphdef(const char *dir);
void seeds_onnx(const char *dir); /* seeds_onnx.c */
void seeds_png(const char *dir);
void seeds_jpeg(const char *dir);

#endif
