/* Fuzz target: objective text as users write it (fv_objective_parse against the real BVLC GoogLeNet at 224
 * pixels); what it accepts must parse again from its canonical form to the same canonical form, as job keys
 * and journals rely on. */
#include <string.h>

#include "fuzz.h"
#include "models/model.h"
#include "render/objective.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_model();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fv_net *net = &fuzz_model()->net;
    char *text = fuzz_text(data, size);
    fv_objective o, again;
    if (fv_objective_parse(net, text, 224, 224, &o) == FV_OK) {
        FUZZ_CHECK(o.nterms > 0 && o.nterms <= FV_OBJ_MAX_TERMS, "%d terms", o.nterms);
        /* A canonical form that fills the buffer was cut short; jobs refuse those (jobs.c). */
        if (strlen(o.canon) + 1 < sizeof o.canon) {
            FUZZ_CHECK(fv_objective_parse(net, o.canon, 224, 224, &again) == FV_OK,
                       "'%s' parsed, its canonical form '%s' does not: %s", text, o.canon, fv_last_error());
            FUZZ_CHECK(!strcmp(o.canon, again.canon), "'%s' -> '%s' -> '%s'", text, o.canon, again.canon);
            fv_objective_free(&again);
        }
        fv_objective_free(&o);
    }
    free(text);
    return 0;
}
