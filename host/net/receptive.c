/* Receptive fields from the graph's windows (receptive.h). */
#include "receptive.h"

#include <stdlib.h>

#include "core/status.h"

fv_status fv_net_receptive_field(const fv_net *net, int t, int *rf, int *jump)
{
    if (t < 0 || t >= net->ntensors) return fv_fail(FV_ERR_ARG, "receptive field: no tensor %d", t);
    int *r = calloc((size_t)net->ntensors, sizeof *r), *j = calloc((size_t)net->ntensors, sizeof *j);
    if (!r || !j) {
        free(r);
        free(j);
        return fv_fail(FV_ERR_NOMEM, "out of memory");
    }
    r[net->input] = j[net->input] = 1;
    /* Nodes are stored in execution order, so a node's input is final when it is reached. */
    for (int i = 0; i < net->nnodes; i++) {
        const fv_net_node *nd = &net->nodes[i];
        int ri = r[nd->in], ji = j[nd->in];
        if (nd->kind == FV_NODE_BINARY) { /* both operands: the larger field (a broadcast one sees everything) */
            int r2 = r[nd->in2];
            ri = ri < 0 || r2 < 0 ? -1 : (r2 > ri ? r2 : ri);
            if (j[nd->in2] > ji) ji = j[nd->in2];
        }
        if (ri < 0) ri = -1; /* the whole image already */
        else if (nd->kind == FV_NODE_FC || nd->kind == FV_NODE_SOFTMAX || (nd->kind == FV_NODE_COPY && nd->flatten) ||
                 ((nd->kind == FV_NODE_CONV || nd->kind == FV_NODE_POOL) && nd->rule == FV_PADRULE_GLOBAL))
            ri = -1;
        else if (nd->kind == FV_NODE_CONV || nd->kind == FV_NODE_POOL) {
            int dh = nd->kind == FV_NODE_CONV && nd->dil_h > 1 ? nd->dil_h : 1;
            int dw = nd->kind == FV_NODE_CONV && nd->dil_w > 1 ? nd->dil_w : 1;
            int kh = (nd->kh - 1) * dh + 1, kw = (nd->kw - 1) * dw + 1; /* the dilated extent */
            int k = kh > kw ? kh : kw, s = nd->sh > nd->sw ? nd->sh : nd->sw;
            ri += (k - 1) * ji;
            ji *= s;
        }
        /* Into the node's output and every concatenation it is a slice of: max over branches. */
        for (int o = nd->out; o >= 0; o = net->tensors[o].parent) {
            if (ri < 0 || r[o] < 0) r[o] = -1;
            else if (ri > r[o]) r[o] = ri;
            if (ji > j[o]) j[o] = ji;
        }
    }
    *rf = r[t];
    *jump = j[t] ? j[t] : 1;
    free(r);
    free(j);
    return FV_OK;
}
