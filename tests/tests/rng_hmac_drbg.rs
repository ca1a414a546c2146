//! HMAC_DRBG (SHA-256) against NIST CAVP `HMAC_DRBG.rsp` examples (drbgtestvectors.zip,
//! `[SHA-256] [PredictionResistance = False]`, 1024 returned bits): instantiate,
//! (reseed), generate twice, compare the second output. Values as quoted from the CAVP
//! file in patrickfav/dice `src/test/java/at/favre/tools/dice/rnd/HmacDrbgSha256NistTestVectors.java`
//! (commit 32bf5ee4) and, for the no-reseed COUNT = 0 case, in the nist_drbg_rs KAT.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use keyfort::rng::HmacDrbg;
use keyfort_tests::unhex;

struct Case {
    id: &'static str,
    entropy: &'static str,
    nonce: &'static str,
    pers: &'static str,
    /// (entropy, additional input) of the reseed, if any.
    reseed: Option<(&'static str, &'static str)>,
    add1: &'static str,
    add2: &'static str,
    expected: &'static str,
}

const SRC: &str = "NIST CAVP HMAC_DRBG.rsp [SHA-256]";

const CASES: &[Case] = &[
    Case {
        id: "no_reseed/pers0/COUNT0",
        entropy: "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
        nonce: "659ba96c601dc69fc902940805ec0ca8",
        pers: "",
        reseed: None,
        add1: "",
        add2: "",
        expected: "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8",
    },
    Case {
        id: "no_reseed/pers0/COUNT1",
        entropy: "79737479ba4e7642a221fcfd1b820b134e9e3540a35bb48ffae29c20f5418ea3",
        nonce: "3593259c092bef4129bc2c6c9e19f343",
        pers: "",
        reseed: None,
        add1: "",
        add2: "",
        expected: "cf5ad5984f9e43917aa9087380dac46e410ddc8a7731859c84e9d0f31bd43655b924159413e2293b17610f211e09f770f172b8fb693a35b85d3b9e5e63b1dc252ac0e115002e9bedfb4b5b6fd43f33b8e0eafb2d072e1a6fee1f159df9b51e6c8da737e60d5032dd30544ec51558c6f080bdbdab1de8a939e961e06b5f1aca37",
    },
    Case {
        id: "no_reseed/pers256/COUNT0",
        entropy: "5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
        nonce: "6f885496c1e63af620becd9e71ecb824",
        pers: "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
        reseed: None,
        add1: "",
        add2: "",
        expected: "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d53faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd728e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b",
    },
    Case {
        id: "no_reseed/pers256/COUNT1",
        entropy: "8df013b4d103523073917ddf6a869793059e9943fc8654549e7ab22f7c29f122",
        nonce: "da2625af2ddd4abcce3cf4fa4659d84e",
        pers: "b571e66d7c338bc07b76ad3757bb2f9452bf7e07437ae8581ce7bc7c3ac651a9",
        reseed: None,
        add1: "",
        add2: "",
        expected: "b91cba4cc84fa25df8610b81b641402768a2097234932e37d590b1154cbd23f97452e310e291c45146147f0da2d81761fe90fba64f94419c0f662b28c1ed94da487bb7e73eec798fbcf981b791d1be4f177a8907aa3c401643a5b62b87b89d66b3a60e40d4a8e4e9d82af6d2700e6f535cdb51f75c321729103741030ccc3a56",
    },
    Case {
        id: "reseed/add0/COUNT0",
        entropy: "06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d",
        nonce: "0e66f71edc43e42a45ad3c6fc6cdc4df",
        pers: "",
        reseed: Some((
            "01920a4e669ed3a85ae8a33b35a74ad7fb2a6bb4cf395ce00334a9c9a5a5d552",
            "",
        )),
        add1: "",
        add2: "",
        expected: "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a80225422918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124",
    },
    Case {
        id: "reseed/add0/COUNT1",
        entropy: "aadcf337788bb8ac01976640726bc51635d417777fe6939eded9ccc8a378c76a",
        nonce: "9ccc9d80c89ac55a8cfe0f99942f5a4d",
        pers: "",
        reseed: Some((
            "03a57792547e0c98ea1776e4ba80c007346296a56a270a35fd9ea2845c7e81e2",
            "",
        )),
        add1: "",
        add2: "",
        expected: "17d09f40a43771f4a2f0db327df637dea972bfff30c98ebc8842dc7a9e3d681c61902f71bffaf5093607fbfba9674a70d048e562ee88f027f630a78522ec6f706bb44ae130e05c8d7eac668bf6980d99b4c0242946452399cb032cc6f9fd96284709bd2fa565b9eb9f2004be6c9ea9ff9128c3f93b60dc30c5fc8587a10de68c",
    },
    Case {
        id: "reseed/add256/COUNT0",
        entropy: "05ac9fc4c62a02e3f90840da5616218c6de5743d66b8e0fbf833759c5928b53d",
        nonce: "2b89a17904922ed8f017a63044848545",
        pers: "",
        reseed: Some((
            "2791126b8b52ee1fd9392a0a13e0083bed4186dc649b739607ac70ec8dcecf9b",
            "43bac13bae715092cf7eb280a2e10a962faf7233c41412f69bc74a35a584e54c",
        )),
        add1: "3f2fed4b68d506ecefa21f3f5bb907beb0f17dbc30f6ffbba5e5861408c53a1e",
        add2: "529030df50f410985fde068df82b935ec23d839cb4b269414c0ede6cffea5b68",
        expected: "02ddff5173da2fcffa10215b030d660d61179e61ecc22609b1151a75f1cbcbb4363c3a89299b4b63aca5e581e73c860491010aa35de3337cc6c09ebec8c91a6287586f3a74d9694b462d2720ea2e11bbd02af33adefb4a16e6b370fa0effd57d607547bdcfbb7831f54de7073ad2a7da987a0016a82fa958779a168674b56524",
    },
    Case {
        id: "reseed/add256/COUNT1",
        entropy: "1bea3296f24e9242b96ed00648ac6255007c91f7c1a5088b2482c28c834942bf",
        nonce: "71073136a5cc1eb5b5fa09e1790a0bed",
        pers: "",
        reseed: Some((
            "d714329f3fbea1df9d0b0b0d88dfe3774beb63d011935923d048e521b710dc6f",
            "4ef872fd211a426ea1085ab39eb220cc698fdfeabe49b8835d620ab7885de7a4",
        )),
        add1: "d74d1669e89875852d9ccbf11c20fe3c13a621ebcb3f7edeea39a2b3379fdcf5",
        add2: "0c8aa67ca310bd8e58c16aba35880f747266dbf624e88ec8f9ee9be5d08fdeb1",
        expected: "ce95b98f13adcdf7a32aa34709d6e02f658ae498d2ab01ce920f69e7e42c4be1d005acf0ca6b17891dfafc620dd4cd3894f8492a5c846089b9b452483eb0b91f3649ec0b6f98d1aaabc2e42cd39c2b25081b85ab50cb723007a0fd83550f32c210b7c4150b5a6bb3b0c9e3c971a09d43acb48e410a77f824b957092aa8ef98bc",
    },
];

#[test]
fn hmac_drbg_sha256_cavp() {
    let mut failed = Vec::new();
    for c in CASES {
        let mut d = HmacDrbg::instantiate(&unhex(c.entropy), &unhex(c.nonce), &unhex(c.pers))
            .unwrap_or_else(|e| panic!("{}: instantiate: {e}", c.id));
        if let Some((e, a)) = c.reseed {
            d.reseed(&unhex(e), &unhex(a)).unwrap();
        }
        let mut out = [0u8; 128];
        d.generate(&mut out, &unhex(c.add1)).unwrap();
        let first = out;
        d.generate(&mut out, &unhex(c.add2)).unwrap();
        let expected = unhex(c.expected);
        if out[..] != expected[..] {
            failed.push(c.id);
        }
        assert_ne!(
            first[..],
            expected[..],
            "{}: first output must differ",
            c.id
        );
    }
    println!(
        "{SRC}: {} cases, {} passed, {} failed {:?}",
        CASES.len(),
        CASES.len() - failed.len(),
        failed.len(),
        failed
    );
    assert!(failed.is_empty(), "failing {SRC} cases: {failed:?}");
}

#[test]
fn additional_input_changes_output() {
    // Property (not a vector): the same seed with different additional input diverges.
    let c = &CASES[0];
    let mut a = HmacDrbg::instantiate(&unhex(c.entropy), &unhex(c.nonce), b"").unwrap();
    let mut b = HmacDrbg::instantiate(&unhex(c.entropy), &unhex(c.nonce), b"").unwrap();
    let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
    a.generate(&mut x, b"").unwrap();
    b.generate(&mut y, b"x").unwrap();
    assert_ne!(x, y);
}
