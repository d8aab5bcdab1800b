package io.llava4j.pull;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.regex.Pattern;

/**
 * One file in a Hugging Face model repository.
 *
 * @param repo {@code owner/name}
 * @param revision branch, tag or commit ({@code main} unless a catalogue entry pins one)
 * @param path the file's path inside the repository, {@code /}-separated
 */
public record HfFile(String repo, String revision, String path) {
    /** The URI scheme users write: {@code hf://owner/repo/path/to/file.gguf}. */
    public static final String SCHEME = "hf://";
    /** Repository owners and names as the hub allows them. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** One path segment: no separators, no control characters, not "." or "..". */
    private static final Pattern SEGMENT = Pattern.compile("[^/\\\\\\p{Cntrl}]+");

    public HfFile {
        String[] ownerName = repo == null ? new String[0] : repo.split("/", -1);
        if (ownerName.length != 2
                || !NAME.matcher(ownerName[0]).matches()
                || !NAME.matcher(ownerName[1]).matches()) {
            throw invalid("'" + repo + "' is not a repository name (owner/name)");
        }
        if (revision == null || !SEGMENT.matcher(revision).matches() || revision.equals("..")) {
            throw invalid("'" + revision + "' is not a revision");
        }
        if (path == null || path.isEmpty()) {
            throw invalid("a file path inside " + repo + " is needed");
        }
        for (String segment : path.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw invalid("'" + path + "' is not a file path inside the repository");
            }
        }
    }

    /**
     * Parses {@code hf://owner/repo/path/to/file} (revision {@code main}).
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} on any other form
     */
    public static HfFile parse(String uri) {
        if (uri == null || !uri.startsWith(SCHEME)) {
            throw invalid("'" + uri + "' does not start with " + SCHEME);
        }
        String rest = uri.substring(SCHEME.length());
        int first = rest.indexOf('/');
        int second = first < 0 ? -1 : rest.indexOf('/', first + 1);
        if (second < 0) {
            throw invalid("'" + uri + "' must name a file: " + SCHEME + "owner/repo/file.gguf");
        }
        return new HfFile(rest.substring(0, second), "main", rest.substring(second + 1));
    }

    /** The file name (last path segment). */
    public String fileName() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return SCHEME + repo + "/" + path + (revision.equals("main") ? "" : "@" + revision);
    }

    private static Llava4jException invalid(String message) {
        return new Llava4jException(Code.INVALID_ARGUMENT, message);
    }
}
