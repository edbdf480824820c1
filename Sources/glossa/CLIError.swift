/// A problem with the user's input found while running (a file, its contents, an id):
/// printed as one `Error: …` line with a non-zero exit. Flag problems found before running
/// use ArgumentParser's ValidationError instead, which adds the usage line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
