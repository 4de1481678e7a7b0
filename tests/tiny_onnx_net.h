/* A tiny network of issue 13's node kinds, built by hand (no model file), shared by tests/test_ops_onnx.c (the
 * plan's gradient check on the CPU) and tests/test_cuda_onnx.c (the same plan on the CUDA backend against the
 * CPU). Include after criterion.h. Weights are seeded; the net owns nothing but its graph. */
#ifndef FV_TESTS_TINY_ONNX_NET_H
#define FV_TESTS_TINY_ONNX_NET_H

#include <stdio.h>
#include <string.h>

#include "gradcheck.h"
#include "net/plan.h"

/* input (3, 8, 8)
 *   c1 = conv 3x3 pad 1, 3 -> 6, groups 3;  a1 = hardswish(c1);  c2 = conv 3x3 dilation 2 pad 2, 6 -> 3, groups 3
 *   r = c2 + input                                   (residual: the input read twice)
 *   s = global avg pool(r);  s1 = conv 1x1 3 -> 3;  s2 = sigmoid(s1);  e = r * s2   (squeeze-excitation)
 *   f = affine(e);  p = pad(f) t1 l0 b2 r1 (11 x 9);  q = avg pool 3x3 s2 pads t1 l1, ceil mode, count_pad (6 x 5)
 *   out = flatten(q) (90)                                                                                   */
typedef struct tiny_net {
    fv_net net;
    float w1[54], b1[6], w2[54], b2[3], ws[9], bs[3], sc[3], sh[3];
    int input, c1, a1, c2, r, s, s1, s2, e, f, p, q, out;
} tiny_net;

static inline int add_node(fv_net *net, fv_node_kind kind, const char *name, int in, int out)
{
    fv_net_node nd;
    memset(&nd, 0, sizeof nd);
    nd.kind = kind;
    snprintf(nd.name, sizeof nd.name, "%s", name);
    nd.in = in;
    nd.out = out;
    int i = fv_net_add_node(net, &nd);
    cr_assert(i >= 0);
    return i;
}

static inline void set_conv(fv_net_node *nd, int k, int pad, int cin, int cout, int groups, int dil, const float *w,
                     const float *b)
{
    nd->kh = nd->kw = k, nd->sh = nd->sw = 1, nd->pad_h = nd->pad_w = pad, nd->rule = FV_PADRULE_EXPLICIT;
    nd->cin = cin, nd->cout = cout, nd->groups = groups, nd->dil_h = nd->dil_w = dil, nd->w = w, nd->b = b;
}

static inline void tiny_build(tiny_net *t)
{
    fv_net *net = &t->net;
    cr_assert_eq(fv_net_init(net), FV_OK);
    fv_gc_fill_uniform(2000, t->w1, 54, -0.3f, 0.3f);
    fv_gc_fill_uniform(2001, t->b1, 6, -0.1f, 0.1f);
    fv_gc_fill_uniform(2002, t->w2, 54, -0.3f, 0.3f);
    fv_gc_fill_uniform(2003, t->b2, 3, -0.1f, 0.1f);
    fv_gc_fill_uniform(2004, t->ws, 9, -1, 1);
    fv_gc_fill_uniform(2005, t->bs, 3, -0.5f, 0.5f);
    fv_gc_fill_uniform(2006, t->sc, 3, 0.5f, 1.5f);
    fv_gc_fill_uniform(2007, t->sh, 3, -0.5f, 0.5f);
    t->input = net->input = fv_net_add_tensor(net, "input", 3, -1, 0);
    const char *names[] = {"c1", "a1", "c2", "r", "s", "s1", "s2", "e", "f", "p", "q", "out"};
    const int chans[] = {6, 6, 3, 3, 3, 3, 3, 3, 3, 3, 3, 90};
    int *ids[] = {&t->c1, &t->a1, &t->c2, &t->r, &t->s, &t->s1, &t->s2, &t->e, &t->f, &t->p, &t->q, &t->out};
    for (int i = 0; i < 12; i++) *ids[i] = fv_net_add_tensor(net, names[i], chans[i], -1, 0);
    fv_net_node *nd = &net->nodes[add_node(net, FV_NODE_CONV, "c1", t->input, t->c1)];
    set_conv(nd, 3, 1, 3, 6, 3, 1, t->w1, t->b1);
    net->nodes[add_node(net, FV_NODE_ACT, "a1", t->c1, t->a1)].act = (fv_act_desc){FV_ACT_HARDSWISH, 0, 0};
    set_conv(&net->nodes[add_node(net, FV_NODE_CONV, "c2", t->a1, t->c2)], 3, 2, 6, 3, 3, 2, t->w2, t->b2);
    nd = &net->nodes[add_node(net, FV_NODE_BINARY, "r", t->c2, t->r)];
    nd->in2 = t->input, nd->bin = FV_BINARY_ADD;
    nd = &net->nodes[add_node(net, FV_NODE_POOL, "s", t->r, t->s)];
    nd->pool = FV_POOL_AVG, nd->rule = FV_PADRULE_GLOBAL;
    set_conv(&net->nodes[add_node(net, FV_NODE_CONV, "s1", t->s, t->s1)], 1, 0, 3, 3, 1, 1, t->ws, t->bs);
    net->nodes[add_node(net, FV_NODE_ACT, "s2", t->s1, t->s2)].act = (fv_act_desc){FV_ACT_SIGMOID, 0, 0};
    nd = &net->nodes[add_node(net, FV_NODE_BINARY, "e", t->r, t->e)];
    nd->in2 = t->s2, nd->bin = FV_BINARY_MUL;
    nd = &net->nodes[add_node(net, FV_NODE_AFFINE, "f", t->e, t->f)];
    nd->cout = 3, nd->w = t->sc, nd->b = t->sh;
    nd = &net->nodes[add_node(net, FV_NODE_PAD, "p", t->f, t->p)];
    nd->pad_h = 1, nd->pad_w = 0, nd->pad_b = 2, nd->pad_r = 1, nd->pad_value = 0.5f;
    nd = &net->nodes[add_node(net, FV_NODE_POOL, "q", t->p, t->q)];
    nd->pool = FV_POOL_AVG, nd->count_pad = 1, nd->rule = FV_PADRULE_CEIL4;
    nd->kh = nd->kw = 3, nd->sh = nd->sw = 2, nd->pad_h = nd->pad_w = 1;
    nd = &net->nodes[add_node(net, FV_NODE_COPY, "out", t->q, t->out)];
    nd->flatten = 1;
}

#endif
