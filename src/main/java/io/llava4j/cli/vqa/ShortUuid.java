package io.llava4j.cli.vqa;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Random ids in the format of Python's {@code shortuuid.uuid()}, which LLaVA's eval scripts use for
 * {@code answer_id}: 128 random bits as 22 digits of a 57-letter alphabet without look-alikes.
 * Thread-safe.
 */
public final class ShortUuid {
    /** shortuuid's default alphabet: digits and letters without 0, 1, I, O, l. */
    static final String ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    static final int LENGTH = 22;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BigInteger BASE = BigInteger.valueOf(ALPHABET.length());

    private ShortUuid() {}

    /** A new random id of 22 characters. */
    public static String next() {
        byte[] bits = new byte[16];
        RANDOM.nextBytes(bits);
        BigInteger n = new BigInteger(1, bits);
        // most significant digit first, left-padded with the alphabet's first letter, as shortuuid does
        char[] digits = new char[LENGTH];
        for (int i = LENGTH - 1; i >= 0; i--) {
            BigInteger[] qr = n.divideAndRemainder(BASE);
            digits[i] = ALPHABET.charAt(qr[1].intValue());
            n = qr[0];
        }
        return new String(digits);
    }
}
