package io.llava4j.image;

import java.net.URI;

/**
 * Which http(s) URLs an {@link ImageLoader} may download from. It is asked before every request,
 * the first one and each redirect, so a permitted server cannot send the loader on to a refused
 * address. A server uses this to keep clients from reaching its own network.
 */
@FunctionalInterface
public interface UrlPolicy {
    /** Every URL is allowed (the command line's behaviour: the user names the URLs). */
    UrlPolicy ANY = uri -> {};

    /**
     * Refuses {@code uri} by throwing; returns normally to allow it.
     *
     * @throws io.llava4j.Llava4jException {@code INVALID_ARGUMENT} (or another code) saying why the
     *     URL is refused
     */
    void check(URI uri);
}
