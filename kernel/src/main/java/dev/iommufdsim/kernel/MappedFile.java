package dev.iommufdsim.kernel;

/**
 * The struct file an IOMMU_IOAS_MAP_FILE maps (iopt_pages->file, a get_file() reference), as
 * far as pages.c looks at it: which inode it is, how big it is, and whether memfd_pin_folios()
 * takes it (a shmem or hugetlbfs file, i.e. a memfd). The emulator keeps no page cache: a file
 * page is (file identity, page offset), so {@link UserPagePins} counts its pins per file page,
 * whichever process maps it.
 */
public interface MappedFile {
    /** The inode: st_dev (major, minor) and st_ino, as /proc/PID/maps shows a mapping's file. */
    record Id(long major, long minor, long ino) {
        @Override
        public String toString() {
            return String.format("file %x:%x/%d", major, minor, ino);
        }
    }

    Id id();

    /**
     * i_size_read(file_inode(file)). Approximation: the size when the file was mapped (the
     * emulator cannot ask the program about a file it may have closed since).
     */
    long size();

    /** shmem_file() || is_file_hugepages(): memfd_pin_folios() pins its folios. */
    boolean memfd();

    /** A plain file of the given identity and size (for tests and scripts). */
    static MappedFile of(Id id, long size, boolean memfd) {
        return new MappedFile() {
            @Override
            public Id id() {
                return id;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public boolean memfd() {
                return memfd;
            }

            @Override
            public String toString() {
                return id + " (" + size + " bytes)";
            }
        };
    }
}
