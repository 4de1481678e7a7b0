/* A loaded model file (modelfile.h): lookup of a layer by name and teardown. The loaders fill it. */
#include "modelfile.h"

#include <stdlib.h>
#include <string.h>

const fv_mf_layer *fv_modelfile_find(const fv_modelfile *mf, const char *name)
{
    if (!mf || !name) return NULL;
    for (int i = 0; i < mf->nlayers; i++)
        if (strcmp(mf->layers[i].name, name) == 0) return &mf->layers[i];
    return NULL;
}

void fv_modelfile_free(fv_modelfile *mf)
{
    if (!mf) return;
    for (int i = 0; i < mf->nlayers; i++)
        for (int j = 0; j < 2; j++) free(mf->layers[i].blobs[j].data);
    free(mf->layers);
    if (mf->onnx && mf->free_onnx) mf->free_onnx(mf->onnx);
    free(mf);
}
