int limit = 1000;
// Prime sieve and number theory helpers, written in the C-like subset:
// no arrays or pointers, so the sieve is replaced by trial division.
int found = 0;
float ratio = 0.0;

int is_prime(int n) {
    if (n < 2) return 0;
    if (n % 2 == 0) return n == 2;
    int d = 3;
    while (d * d <= n) {
        if (n % d == 0) {
            return 0;
        }
        d += 2;
    }
    return 1;
}

int gcd(int a, int b) {
    while (b != 0) {
        int t = b;
        b = a % b;
        a = t;
    }
    return a;
}

int lcm(int a, int b) {
    return a / gcd(a, b) * b;
}

/* Counts primes below the limit and the twin pairs among them. */
int count_twins(int upto) {
    int twins = 0;
    int previous = 2;
    for (int i = 3; i < upto; i += 2) {
        if (is_prime(i)) {
            if (i - previous == 2) {
                twins += 1;
            }
            previous = i;
            found += 1;
        }
    }
    return twins;
}

int power_mod(int base, int exponent, int modulus) {
    int result = 1;
    base = base % modulus;
    while (exponent > 0) {
        if (exponent % 2 == 1) {
            result = result * base % modulus;
        }
        exponent = exponent / 2;
        base = base * base % modulus;
    }
    return result;
}

int fermat_probable(int n) {
    if (n < 4) return n == 2 || n == 3;
    int witnesses = 0;
    for (int a = 2; a < 6 && a < n; a += 1) {
        if (power_mod(a, n - 1, n) != 1) {
            return 0;
        }
        witnesses += 1;
    }
    return witnesses > 0;
}

void report(int twins) {
    print("primes below limit: ", found);
    print("twin pairs: ", twins);
    ratio = twins / (found + 0.5);
    if (ratio > 0.25 && !(found < 10)) {
        print("dense twins", ratio);
    } else {
        print("sparse twins", ratio);
    }
}

int main() {
    int twins = count_twins(limit);
    report(twins);
    int agree = 0;
    for (int n = 2; n < 200; n += 1) {
        if (fermat_probable(n) == is_prime(n)) {
            agree += 1;
        }
    }
    print("fermat agrees on ", agree, " of 198");
    print("lcm(12, 18) = ", lcm(12, 18));
    return 0;
}
