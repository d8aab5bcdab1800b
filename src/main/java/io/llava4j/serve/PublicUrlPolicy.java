package io.llava4j.serve;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.UrlPolicy;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Image URLs a server fetches on a client's behalf must lead to the public internet: the host is
 * resolved and every address it has is checked, so that a client cannot use the server to reach
 * its loopback, private network, link-local (cloud metadata) or other special addresses. The image
 * loader asks again before each redirect.
 *
 * <p>The HTTP client resolves the host once more when it connects; the JVM's positive DNS cache
 * (30 s by default) returns the address checked here, which keeps a rebinding DNS server from
 * answering differently the second time within that window.
 */
final class PublicUrlPolicy implements UrlPolicy {
    @Override
    public void check(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (!(scheme.equals("http") || scheme.equals("https")) || host == null) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "image URL " + uri + " is not an http(s) URL with a host");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new Llava4jException(Code.IO, "image URL host " + host + " cannot be resolved", e);
        }
        for (InetAddress a : addresses) {
            if (isLocal(a)) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "image URL " + uri + " points at a local or private address (" + a.getHostAddress()
                                + "); the server refuses those unless started with --allow-local-urls");
            }
        }
    }

    /** Loopback, private, link-local, shared (CGNAT), unspecified, multicast or reserved. */
    static boolean isLocal(InetAddress a) {
        if (a.isAnyLocalAddress()
                || a.isLoopbackAddress()
                || a.isLinkLocalAddress()
                || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return isLocalV4(b, 0);
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return true; // fc00::/7 unique local
            }
            boolean v4Embedded = true; // ::a.b.c.d (compatible) and 64:ff9b::a.b.c.d (NAT64) carry an IPv4 address
            boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
            for (int i = nat64 ? 4 : 0; i < 12; i++) {
                v4Embedded &= b[i] == 0;
            }
            return v4Embedded && isLocalV4(b, 12);
        }
        return true;
    }

    private static boolean isLocalV4(byte[] b, int at) {
        int a0 = b[at] & 0xff;
        int a1 = b[at + 1] & 0xff;
        return a0 == 0 // "this network"
                || a0 == 10
                || a0 == 127
                || (a0 == 100 && a1 >= 64 && a1 < 128) // shared address space (CGNAT)
                || (a0 == 169 && a1 == 254)
                || (a0 == 172 && a1 >= 16 && a1 < 32)
                || (a0 == 192 && a1 == 168)
                || (a0 == 192 && a1 == 0 && (b[at + 2] & 0xff) == 0) // IETF protocol assignments
                || (a0 == 198 && (a1 == 18 || a1 == 19)) // benchmarking
                || a0 >= 224; // multicast, reserved, broadcast
    }
}
