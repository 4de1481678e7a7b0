/* Class names for classification results (featvis-cuda classify, the Python package's classify): a labels
 * file the caller names, else one found beside the model file. */
#ifndef FV_LABELS_H
#define FV_LABELS_H

#include "core/status.h"

/* n class names into *names (entries past the file's last line are NULL; a line's leading '-' is dropped): from
 * `path` when given (FV_ERR_IO naming it when it cannot be opened), else from the first of synset_words.txt,
 * testdata/synset_words.txt and imagenet_comp_graph_label_strings.txt in the folder of `weights` that opens
 * (none, or weights NULL: FV_OK with *names NULL). Free with fv_labels_free. */
fv_status fv_labels_read(const char *path, const char *weights, int n, char ***names);
void fv_labels_free(char **names, int n);

#endif
