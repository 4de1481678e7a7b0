/* Receptive fields: how much of the input image one neuron of a tensor sees, from the graph's windows
 * alone (pure geometry: no weights, no backend). Dataset examples crop each image to it. */
#ifndef FV_RECEPTIVE_H
#define FV_RECEPTIVE_H

#include "net.h"

/* Receptive field (side of the input square a neuron of tensor t sees) and jump (input pixels between
 * neighbouring neurons) from the graph's windows: walking the nodes from the input in order, a
 * convolution or pooling of window k and stride s turns (rf, jump) into (rf + (k-1)*jump, jump*s),
 * elementwise ops (ReLU, LRN) keep them, and a concatenation takes the largest over its branches.
 * Padding is ignored (it moves the window, not its size). A global pool or a fully connected layer sees
 * the whole image: *rf = -1 then. */
fv_status fv_net_receptive_field(const fv_net *net, int t, int *rf, int *jump);

#endif
