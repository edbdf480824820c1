/// The toolkit's version, printed by `glossa --version`.
public enum GlossaVersion {
    public static let string = "0.1.0"
}
