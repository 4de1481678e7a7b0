/* Fuzz target: a Caffe NetParameter (.caffemodel, either encoding) parsed from memory (fv_caffe_load), and
 * whatever it accepts built into the InceptionV1 graph (fv_inception_build) and sized at two input sizes, as
 * fv_model_load does with a user's file. */
#include "fuzz.h"
#include "models/modelfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_modelfile *mf = NULL;
    if (fv_caffe_load("fuzz.caffemodel", data, size, &mf) == FV_OK) {
        FUZZ_CHECK(mf && mf->nlayers > 0, "accepted a file with no layers");
        fuzz_build_net(mf, FV_MODEL_INCEPTION_CAFFE);
        fv_modelfile_free(mf);
    } else {
        FUZZ_CHECK(!mf, "a failed load returned a model file");
    }
    return 0;
}
