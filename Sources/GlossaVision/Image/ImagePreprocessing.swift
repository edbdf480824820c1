import GlossaTensor

/// How any image becomes a model input [C, 32, 32] (documented in the README):
/// 1. channels: gray models take Rec. 601 luminance, RGB models take RGB; alpha is composited
///    on black, and gray inputs to an RGB model are replicated;
/// 2. size: scaled with area averaging (bilinear when enlarging) so the longer side is 28
///    pixels, keeping the aspect ratio;
/// 3. placement: centred on a 32×32 black canvas (Fashion-MNIST's 28×28 images get a 2-pixel
///    border and are otherwise unchanged).
public enum ImagePreprocessing {
    public static let canvas = 32
    public static let content = 28

    public static func modelInput(_ image: Image, channels: Int) -> Tensor {
        let plane = convert(image, channels: channels)
        let scale = Double(content) / Double(max(plane.width, plane.height))
        let w = max(1, Int((Double(plane.width) * scale).rounded())), h = max(1, Int((Double(plane.height) * scale).rounded()))
        let resized = resize(plane, width: w, height: h)
        let out = Tensor(zeros: [channels, canvas, canvas])
        let (x0, y0) = ((canvas - w) / 2, (canvas - h) / 2)
        for c in 0..<channels { for y in 0..<h { for x in 0..<w {
            out.data[(c * canvas + y0 + y) * canvas + x0 + x] = resized[x: x, y: y, c: c]
        } } }
        return out
    }

    static func convert(_ image: Image, channels: Int) -> Image {
        var pixels: [Float] = []
        pixels.reserveCapacity(image.width * image.height * channels)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let alpha: Float = image.channels == 4 ? image[x: x, y: y, c: 3] : 1
                let rgb: [Float] = image.channels == 1 ? Array(repeating: image[x: x, y: y, c: 0], count: 3)
                    : (0..<3).map { image[x: x, y: y, c: $0] }
                if channels == 1 {
                    pixels.append((0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) * alpha)
                } else {
                    pixels += rgb.map { $0 * alpha }
                }
            }
        }
        return Image(width: image.width, height: image.height, channels: channels, pixels: pixels)
    }

    /// Area averaging when shrinking (each output pixel averages the input area it covers),
    /// bilinear interpolation when enlarging.
    static func resize(_ image: Image, width: Int, height: Int) -> Image {
        if width == image.width && height == image.height { return image }
        var out = Image(width: width, height: height, channels: image.channels, pixels: [Float](repeating: 0, count: width * height * image.channels))
        let sx = Double(image.width) / Double(width), sy = Double(image.height) / Double(height)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<image.channels {
                    if sx >= 1 && sy >= 1 {
                        let (x0, x1) = (Double(x) * sx, Double(x + 1) * sx), (y0, y1) = (Double(y) * sy, Double(y + 1) * sy)
                        var total = 0.0, area = 0.0
                        for iy in Int(y0)..<min(image.height, Int(y1.rounded(.up))) {
                            let wy = min(y1, Double(iy + 1)) - max(y0, Double(iy))
                            for ix in Int(x0)..<min(image.width, Int(x1.rounded(.up))) {
                                let wx = min(x1, Double(ix + 1)) - max(x0, Double(ix))
                                total += Double(image[x: ix, y: iy, c: c]) * wx * wy
                                area += wx * wy
                            }
                        }
                        out[x: x, y: y, c: c] = Float(total / max(area, 1e-12))
                    } else {
                        let fx = max(0, min(Double(image.width - 1), (Double(x) + 0.5) * sx - 0.5))
                        let fy = max(0, min(Double(image.height - 1), (Double(y) + 0.5) * sy - 0.5))
                        let (ix, iy) = (Int(fx), Int(fy))
                        let (jx, jy) = (min(ix + 1, image.width - 1), min(iy + 1, image.height - 1))
                        let (ax, ay) = (Float(fx - Double(ix)), Float(fy - Double(iy)))
                        let top = image[x: ix, y: iy, c: c] * (1 - ax) + image[x: jx, y: iy, c: c] * ax
                        let bottom = image[x: ix, y: jy, c: c] * (1 - ax) + image[x: jx, y: jy, c: c] * ax
                        out[x: x, y: y, c: c] = top * (1 - ay) + bottom * ay
                    }
                }
            }
        }
        return out
    }
}
