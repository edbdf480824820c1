import GlossaTensor

/// y = x + W_b · gelu(W_a · gelu(x)), with W_a and W_b 1×1 convolutions (C → 4C → C): a
/// position-wise MLP with a residual path, pre-activation as in ResNet v2. SPAE puts these at
/// its 8×8 latent grid, where they add depth for 64 · 8 · C² multiply-adds per image each, 8/9
/// of one 3×3 convolution C → C there, and a 4C-wide hidden layer. Convolutions, not two `Linear` maps over
/// channels-last rows (one sgemm per batch): with those, SPAE's encode + decode ran about 15%
/// slower in `glossa spae eval`, as the rows of a whole batch's 4C-wide activations leave the
/// cache, where the convolution's per-thread groups of images stay in it.
public final class PointwiseResidualBlock: Module {
    let expand: Convolution
    let project: Convolution
    let inner = Activation(.geluTanh)
    let outer = Activation(.geluTanh)

    public init(channels: Int, expansion: Int = 4, name: String, rng: inout RandomGenerator) {
        expand = Convolution.conv2d(channels, expansion * channels, kernel: 1, name: name + ".expand", rng: &rng)
        project = Convolution.conv2d(expansion * channels, channels, kernel: 1, name: name + ".project", rng: &rng)
    }

    public var parameters: [Parameter] { expand.parameters + project.parameters }

    /// Zeroes the output projection (weight and bias), so the block is the identity, y = x,
    /// until training moves it: a block added to a trained network leaves what it computes as
    /// it was (as Fixup, Zhang et al. 2019, starts the last layer of each residual branch at zero).
    public func startAsIdentity() {
        for p in project.parameters { p.value.fill(0) }
    }

    public func forward(_ x: Tensor) -> Tensor {
        let y = project(outer(expand(inner(x))))
        y.add(x)
        return y
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = inner.backward(expand.backward(outer.backward(project.backward(dy))))
        dx.add(dy)
        return dx
    }
}
