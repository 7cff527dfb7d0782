/** Exit status for a command line that could not be understood (unknown flag, invalid value). */
export const EXIT_USAGE = 2;
