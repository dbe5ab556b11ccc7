float out_x = 0.0;
/* Geometry helpers over scalars: no structs in this language, so points are
   passed as coordinate pairs and results go through globals. */
float out_y = 0.0;
float epsilon = 0.000001;

float absf(float v) {
    if (v < 0.0) return -v;
    return v;
}

float sqrtf(float v) {
    if (v <= 0.0) return 0.0;
    float guess = v / 2.0;
    for (int i = 0; i < 30; i += 1) {
        guess = (guess + v / guess) / 2.0;
    }
    return guess;
}

float distance(float ax, float ay, float bx, float by) {
    float dx = bx - ax, dy = by - ay;
    return sqrtf(dx * dx + dy * dy);
}

float cross(float ax, float ay, float bx, float by, float cx, float cy) {
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

int orientation(float ax, float ay, float bx, float by, float cx, float cy) {
    float c = cross(ax, ay, bx, by, cx, cy);
    if (absf(c) < epsilon) return 0;
    if (c > 0.0) return 1;
    return -1;
}

void midpoint(float ax, float ay, float bx, float by) {
    out_x = (ax + bx) / 2.0;
    out_y = (ay + by) / 2.0;
}

int intersect(float ax, float ay, float bx, float by, float cx, float cy, float dx, float dy) {
    float den = (ax - bx) * (cy - dy) - (ay - by) * (cx - dx);
    if (absf(den) < epsilon) {
        return 0;
    }
    float t = ((ax - cx) * (cy - dy) - (ay - cy) * (cx - dx)) / den;
    out_x = ax + t * (bx - ax);
    out_y = ay + t * (by - ay);
    return 1;
}

float triangle_area(float ax, float ay, float bx, float by, float cx, float cy) {
    return absf(cross(ax, ay, bx, by, cx, cy)) / 2.0;
}

int main() {
    float d = distance(0.0, 0.0, 3.0, 4.0);
    print("distance: ", d);
    midpoint(1.0, 1.0, 5.0, 7.0);
    print("midpoint: ", out_x, ", ", out_y);
    if (intersect(0.0, 0.0, 4.0, 4.0, 0.0, 4.0, 4.0, 0.0)) {
        print("lines meet at ", out_x, ", ", out_y);
    } else {
        print("parallel");
    }
    int turns = 0;
    for (int k = 0; k < 10; k += 1) {
        turns += orientation(0.0, 0.0, k * 1.5, 2.0, 3.0, k - 4.0);
    }
    print("net turns: ", turns, " area ", triangle_area(0.0, 0.0, 4.0, 0.0, 0.0, 3.0));
    return 0;
}
