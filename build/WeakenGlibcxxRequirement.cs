namespace GridTrain.Build
{
    using System;
    using System.IO;
    using System.Text;
    using Microsoft.Build.Framework;
    using Microsoft.Build.Utilities;

    /// <summary>
    /// Sets VER_FLG_WEAK on the Elf64_Vernaux entry that names <see cref="Version"/> in each file's
    /// .gnu.version_r section, unless the system libstdc++ already provides that version.
    /// </summary>
    public sealed class WeakenGlibcxxRequirement : Task
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlagWeak = 0x2;

        private static readonly string[] s_libstdcxxCandidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        [Required]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        [Required]
        public string Version { get; set; } = "";

        public override bool Execute()
        {
            if (SystemProvides(Version))
            {
                Log.LogMessage(MessageImportance.Low, "libstdc++ provides {0}; libLibTorchSharp.so left as is.", Version);
                return true;
            }

            foreach (var item in Files)
            {
                var path = item.ItemSpec;
                try
                {
                    var outcome = Patch(path, Version);
                    Log.LogMessage(MessageImportance.Normal, "{0}: {1}", path, outcome);
                }
                catch (Exception ex) when (ex is IOException || ex is InvalidDataException || ex is UnauthorizedAccessException)
                {
                    Log.LogError("Could not mark {0} weak in {1}: {2}", Version, path, ex.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }

        private static bool SystemProvides(string version)
        {
            var needle = Encoding.ASCII.GetBytes(version + "\0");
            foreach (var candidate in s_libstdcxxCandidates)
            {
                if (File.Exists(candidate))
                {
                    return IndexOf(File.ReadAllBytes(candidate), needle) >= 0;
                }
            }

            // No glibc libstdc++ found (not a glibc Linux): nothing to patch against.
            return true;
        }

        private static string Patch(string path, string version)
        {
            var elf = File.ReadAllBytes(path);
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            {
                throw new InvalidDataException("not a little-endian ELF64 file");
            }

            var sectionHeaders = (long)BitConverter.ToUInt64(elf, 0x28);
            int sectionHeaderSize = BitConverter.ToUInt16(elf, 0x3A);
            int sectionCount = BitConverter.ToUInt16(elf, 0x3C);

            for (var i = 0; i < sectionCount; i++)
            {
                var header = sectionHeaders + (long)i * sectionHeaderSize;
                if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed)
                {
                    continue;
                }

                var verneed = (long)BitConverter.ToUInt64(elf, (int)header + 0x18);
                var stringTableIndex = BitConverter.ToUInt32(elf, (int)header + 0x28);
                var verneedCount = BitConverter.ToUInt32(elf, (int)header + 0x2C);
                var stringTable = (long)BitConverter.ToUInt64(elf, (int)(sectionHeaders + stringTableIndex * sectionHeaderSize) + 0x18);

                var need = verneed;
                for (var n = 0; n < verneedCount; n++)
                {
                    int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                    var aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                    for (var a = 0; a < auxCount; a++)
                    {
                        var name = ReadString(elf, stringTable + BitConverter.ToUInt32(elf, (int)aux + 8));
                        if (name == version)
                        {
                            var flagsOffset = (int)aux + 4;
                            var flags = BitConverter.ToUInt16(elf, flagsOffset);
                            if ((flags & VerFlagWeak) != 0)
                            {
                                return version + " already weak";
                            }

                            flags |= VerFlagWeak;
                            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
                            {
                                stream.Position = flagsOffset;
                                stream.Write(BitConverter.GetBytes(flags), 0, 2);
                            }

                            return version + " marked weak";
                        }

                        aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                    }

                    need += BitConverter.ToUInt32(elf, (int)need + 12);
                }
            }

            return version + " not required";
        }

        private static string ReadString(byte[] bytes, long offset)
        {
            var end = (int)offset;
            while (bytes[end] != 0)
            {
                end++;
            }

            return Encoding.ASCII.GetString(bytes, (int)offset, end - (int)offset);
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (var i = 0; i <= haystack.Length - needle.Length; i++)
            {
                var match = true;
                for (var j = 0; j < needle.Length; j++)
                {
                    if (haystack[i + j] != needle[j])
                    {
                        match = false;
                        break;
                    }
                }

                if (match)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
