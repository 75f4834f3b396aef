namespace Ssm.Engine.IO;

/// <summary>Writes files so that readers see either the old content or the complete new one:
/// the content goes to a temporary file in the same directory, is flushed, then renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> and renames into place; the temporary file is removed on
    /// failure.</summary>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string name = System.IO.Path.GetFileName(full);
        string tmp = System.IO.Path.Combine(dir, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, fs =>
        {
            var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
            fs.Write(bytes);
        });
}
