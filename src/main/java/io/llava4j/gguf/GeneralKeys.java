package io.llava4j.gguf;

/**
 * The {@code general.*} metadata keys llava4j reads or writes, in every kind of GGUF (language
 * model and mmproj). Names as in llama.cpp's {@code LLM_KV_GENERAL_*} (src/llama-arch.cpp) and
 * clip-impl.h's {@code KEY_NAME}/{@code KEY_DESCRIPTION}/{@code KEY_FTYPE}.
 */
public final class GeneralKeys {
    private GeneralKeys() {}

    /** {@code general.architecture} (STRING; {@code LLM_KV_GENERAL_ARCHITECTURE}): {@code llama}, {@code qwen2}, {@code clip}. */
    public static final String ARCHITECTURE = "general.architecture";
    /** {@code general.type} (STRING; {@code LLM_KV_GENERAL_TYPE}): {@code mmproj} for a projector file. */
    public static final String TYPE = "general.type";
    /** {@code general.name} (STRING; {@code LLM_KV_GENERAL_NAME}, clip's {@code KEY_NAME}). */
    public static final String NAME = "general.name";
    /** {@code general.description} (STRING; {@code LLM_KV_GENERAL_DESCRIPTION}, clip's {@code KEY_DESCRIPTION}). */
    public static final String DESCRIPTION = "general.description";
    /** {@code general.file_type} (UINT32 {@code llama_ftype}; {@code LLM_KV_GENERAL_FILE_TYPE}, clip's {@code KEY_FTYPE}). */
    public static final String FILE_TYPE = "general.file_type";
    /** {@code general.alignment} (UINT32 power of two; {@code LLM_KV_GENERAL_ALIGNMENT}, {@code GGUF_KEY_GENERAL_ALIGNMENT}). */
    public static final String ALIGNMENT = "general.alignment";

    /** {@code general.type} of an mmproj ({@code GGUFType.MMPROJ} in gguf-py). */
    public static final String TYPE_MMPROJ = "mmproj";
}
