// Linux x86-64 terminal ABI: the kernel's struct termios / termios2 (not
// glibc's larger struct termios), struct winsize, ioctl numbers and the
// default settings of a new pseudo-terminal (Linux's tty_std_termios).
#ifndef SENTRY_FS_DEVPTS_TERMIOS_H_
#define SENTRY_FS_DEVPTS_TERMIOS_H_

#include <sys/ioctl.h>

#include <cstdint>

namespace sentry::fs::devpts {

inline constexpr int kNccs = 19;

// struct termios of the kernel ABI (TCGETS/TCSETS*): 36 bytes.
struct KernelTermios {
  uint32_t c_iflag;
  uint32_t c_oflag;
  uint32_t c_cflag;
  uint32_t c_lflag;
  uint8_t c_line;
  uint8_t c_cc[kNccs];
};
static_assert(sizeof(KernelTermios) == 36);

// struct termios2 (TCGETS2/TCSETS2*): termios plus speeds, 44 bytes.
struct KernelTermios2 {
  KernelTermios t;
  uint32_t c_ispeed;
  uint32_t c_ospeed;
};
static_assert(sizeof(KernelTermios2) == 44);

struct Winsize {
  uint16_t ws_row;
  uint16_t ws_col;
  uint16_t ws_xpixel;
  uint16_t ws_ypixel;
  bool operator==(const Winsize&) const = default;
};
static_assert(sizeof(Winsize) == 8);

// c_cc indexes (asm-generic/termbits.h).
enum : int {
  kVINTR = 0,
  kVQUIT = 1,
  kVERASE = 2,
  kVKILL = 3,
  kVEOF = 4,
  kVTIME = 5,
  kVMIN = 6,
  kVSWTC = 7,
  kVSTART = 8,
  kVSTOP = 9,
  kVSUSP = 10,
  kVEOL = 11,
  kVREPRINT = 12,
  kVDISCARD = 13,
  kVWERASE = 14,
  kVLNEXT = 15,
  kVEOL2 = 16,
};

// Flag bits (identical in the kernel ABI and glibc on x86-64).
inline constexpr uint32_t kIGNCR = 0000200, kICRNL = 0000400, kINLCR = 0000100,
                          kISTRIP = 0000040, kIXON = 0002000, kIUTF8 = 0040000;
inline constexpr uint32_t kOPOST = 0000001, kONLCR = 0000004, kOCRNL = 0000010,
                          kONLRET = 0000040;
inline constexpr uint32_t kB38400 = 0000017, kCS8 = 0000060, kCREAD = 0000200,
                          kHUPCL = 0002000, kCBAUD = 0010017;
inline constexpr uint32_t kISIG = 0000001, kICANON = 0000002, kECHO = 0000010,
                          kECHOE = 0000020, kECHOK = 0000040, kECHONL = 0000100,
                          kNOFLSH = 0000200, kTOSTOP = 0000400,
                          kECHOCTL = 0001000, kECHOKE = 0004000,
                          kIEXTEN = 0100000;

// Linux's tty_std_termios, as a new pty replica has it.
inline KernelTermios DefaultTermios() {
  KernelTermios t{};
  t.c_iflag = kICRNL | kIXON;
  t.c_oflag = kOPOST | kONLCR;
  t.c_cflag = kB38400 | kCS8 | kCREAD | kHUPCL;
  t.c_lflag =
      kISIG | kICANON | kECHO | kECHOE | kECHOK | kECHOCTL | kECHOKE | kIEXTEN;
  const uint8_t cc[kNccs] = {3,   034, 0177, 025, 4,   0,   1, 0, 021, 023,
                             032, 0,   022,  017, 027, 026, 0, 0, 0};
  for (int i = 0; i < kNccs; ++i) t.c_cc[i] = cc[i];
  return t;
}

// ioctl numbers (x86-64).
inline constexpr uint32_t kTCGETS = 0x5401, kTCSETS = 0x5402, kTCSETSW = 0x5403,
                          kTCSETSF = 0x5404, kTCFLSH = 0x540B,
                          kTIOCEXCL = 0x540C, kTIOCNXCL = 0x540D,
                          kTIOCSCTTY = 0x540E, kTIOCGPGRP = 0x540F,
                          kTIOCSPGRP = 0x5410, kTIOCOUTQ = 0x5411,
                          kTIOCGWINSZ = 0x5413, kTIOCSWINSZ = 0x5414,
                          kFIONREAD = 0x541B, kTIOCNOTTY = 0x5422,
                          kTIOCGSID = 0x5429, kTIOCGEXCL = 0x80045440,
                          kTIOCGPTPEER = 0x5441, kTCSBRK = 0x5409,
                          kTCXONC = 0x540A, kTIOCSTI = 0x5412,
                          kTIOCPKT = 0x5420, kTIOCSETD = 0x5423,
                          kTIOCGETD = 0x5424, kTCSBRKP = 0x5425,
                          kTIOCSBRK = 0x5427, kTIOCCBRK = 0x5428,
                          kTIOCGPKT = 0x80045438;
inline constexpr uint32_t kTCGETS2 = _IOR('T', 0x2A, KernelTermios2),
                          kTCSETS2 = _IOW('T', 0x2B, KernelTermios2),
                          kTCSETSW2 = _IOW('T', 0x2C, KernelTermios2),
                          kTCSETSF2 = _IOW('T', 0x2D, KernelTermios2),
                          kTIOCGPTN = _IOR('T', 0x30, uint32_t),
                          kTIOCSPTLCK = _IOW('T', 0x31, int32_t),
                          kTIOCGPTLCK = _IOR('T', 0x39, int32_t);
static_assert(kTCGETS2 == 0x802C542A);
static_assert(kTIOCGPTN == 0x80045430);
static_assert(kTIOCSPTLCK == 0x40045431);

// TCFLSH arguments.
inline constexpr int kTCIFLUSH = 0, kTCOFLUSH = 1, kTCIOFLUSH = 2;
// TCXONC arguments.
inline constexpr int kTCOOFF = 0, kTCOON = 1, kTCIOFF = 2, kTCION = 3;

}  // namespace sentry::fs::devpts

#endif  // SENTRY_FS_DEVPTS_TERMIOS_H_
