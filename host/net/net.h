/* The network layer: the graph (graph.h) and its plan (plan.h). */
#ifndef FV_NET_H
#define FV_NET_H

#include "graph.h"
#include "plan.h"

#endif
