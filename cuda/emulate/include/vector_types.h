/* The emulated CUDA build's vector types (cuda/emulate/): uint3 and dim3 (the launch geometry and the built-in
 * index variables), float2/double2 and friends with their make_* functions, laid out and aligned as NVIDIA's
 * vector_types.h lays them out. C and C++; dim3 gets its constructors in C++ only, as in the real header. */
#ifndef FV_EMU_VECTOR_TYPES_H
#define FV_EMU_VECTOR_TYPES_H

#ifndef __align__
#define __align__(n) __attribute__((aligned(n)))
#endif

typedef struct uint3 {
    unsigned int x, y, z;
} uint3;
typedef struct int2 {
    int x, y;
} __align__(8) int2;
typedef struct int3 {
    int x, y, z;
} int3;
typedef struct float2 {
    float x, y;
} __align__(8) float2;
typedef struct float3 {
    float x, y, z;
} float3;
typedef struct float4 {
    float x, y, z, w;
} __align__(16) float4;
typedef struct double2 {
    double x, y;
} __align__(16) double2;

#ifdef __cplusplus
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};
#else
typedef struct dim3 {
    unsigned int x, y, z;
} dim3;
#endif

static inline int2 make_int2(int x, int y)
{
    int2 v = {x, y};
    return v;
}
static inline float2 make_float2(float x, float y)
{
    float2 v = {x, y};
    return v;
}
static inline float3 make_float3(float x, float y, float z)
{
    float3 v = {x, y, z};
    return v;
}
static inline float4 make_float4(float x, float y, float z, float w)
{
    float4 v = {x, y, z, w};
    return v;
}
static inline double2 make_double2(double x, double y)
{
    double2 v = {x, y};
    return v;
}
static inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z)
{
    uint3 v = {x, y, z};
    return v;
}

#endif
