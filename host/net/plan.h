/* The plan of a network for one batch size and one or more input sizes: one arena of activations and
 * gradients (tensors are views into it), forward up to the deepest needed tensor, input-gradient
 * backward; resizable between the input sizes it was made for (Lucid's canvas changes every step). */
#ifndef FV_NET_PLAN_H
#define FV_NET_PLAN_H

#include "graph.h"

/* Roots of the arena start on multiples of this many floats (256 bytes); backends allocate 256-byte aligned. */
#define FV_PLAN_ALIGN_FLOATS 64

/* Buffers for one batch size and image size, holding activations and gradients of every tensor that
 * the targets need. All allocation happens here; forward/backward allocate nothing. */
typedef struct fv_plan {
    const fv_net *net;
    fv_backend *be;
    int n, h, w;
    int *hs, *ws;          /* per tensor */
    char *needed;          /* per node: runs in this plan */
    char *live;            /* per tensor: computed in this plan */
    fv_tensor *act, *grad; /* per tensor views (data NULL where not live) */
    float *act_mem, *grad_mem, *work;
    size_t act_floats, work_floats;
    size_t *offset, *cap;  /* per root tensor: its place in the arena and the floats it may use */
    const float **dw, **db; /* per node weights in backend memory (the instance's copy, plan.c) */
    void *weights;          /* that copy (counted: it stays while a plan uses it); NULL on a host backend */
} fv_plan;

/* targets: tensor ids whose values the caller reads (and seeds gradients into). */
fv_status fv_plan_create(const fv_net *net, fv_backend *be, int n, int h, int w, const int *targets,
                         int ntargets, fv_plan **out);
/* The same for several input sizes (h[k], w[k]), of which the plan can take any with fv_plan_resize: every
 * buffer is sized for the largest need among them. The plan starts at (h[0], w[0]). */
fv_status fv_plan_create_sizes(const fv_net *net, fv_backend *be, int n, const int *h, const int *w,
                               int nsizes, const int *targets, int ntargets, fv_plan **out);
/* Shapes and views for another input size; FV_ERR_ARG (plan unchanged) if it needs more than was sized. */
fv_status fv_plan_resize(fv_plan *p, int h, int w);
void fv_plan_free(fv_plan *p);
fv_status fv_plan_forward(fv_plan *p);
fv_status fv_plan_zero_grad(fv_plan *p);
/* Backward from whatever gradients were seeded into grad[] of the targets, down to grad[input]. */
fv_status fv_plan_backward(fv_plan *p, int redirect_relu);

#endif
